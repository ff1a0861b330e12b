//! The committed completions and man pages must be what `mailkit generate` writes now, and the
//! README must carry the same exit-code table as the code.

use std::{collections::BTreeMap, fs, path::Path};

use assert_cmd::Command;

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        files.insert(name, fs::read(entry.path()).unwrap());
    }
    files
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let out = tempfile::tempdir().unwrap();
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["generate", "--out-dir"])
        .arg(out.path())
        .assert()
        .success();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["completions", "man"] {
        let fresh = files_under(&out.path().join(dir));
        let committed = files_under(&root.join(dir));
        assert_eq!(
            fresh.keys().collect::<Vec<_>>(),
            committed.keys().collect::<Vec<_>>(),
            "{dir}/ is stale: run `cargo run -- generate`"
        );
        for (name, bytes) in &fresh {
            assert!(
                committed[name] == *bytes,
                "{dir}/{name} is stale: run `cargo run -- generate`"
            );
        }
    }
}

#[test]
fn readme_documents_every_exit_code() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for (code, meaning) in mailkit::exit::TABLE {
        let row = format!("| {} | {meaning} |", code.code());
        assert!(readme.contains(&row), "README lacks the row {row:?}");
    }
}

#[test]
fn readme_states_the_order_exit_worst_applies() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let order: Vec<String> = mailkit::exit::most_serious_first()
        .iter()
        .map(|exit| exit.code().to_string())
        .collect();
    let sentence = format!("in this order for every command: {}", order.join(", "));
    // The README wraps lines; compare with line breaks as spaces.
    let flat = readme.replace('\n', " ");
    assert!(flat.contains(&sentence), "README lacks {sentence:?}");
}

#[test]
fn man_page_documents_every_exit_code() {
    let page =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("man/mailkit.1")).unwrap();
    assert!(page.contains("EXIT STATUS"));
    for (code, meaning) in mailkit::exit::TABLE {
        assert!(page.contains(&format!("\\fB{}\\fR\n{meaning}", code.code())));
    }
}

/// Every `MAILKIT_*` variable the code reads (outside its tests) in `src/`.
fn variables_in(dir: &Path, found: &mut std::collections::BTreeSet<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            variables_in(&path, found);
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        // Unit tests sit at the end of a file; they may name made-up variables.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("MAILKIT_") {
            let name: String = rest[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            found.insert(name.trim_end_matches('_').to_string());
            rest = &rest[at + 8..];
        }
    }
}

#[test]
fn the_man_page_has_files_and_every_variable_and_no_page_that_does_not_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = fs::read_to_string(root.join("man/mailkit.1")).unwrap();
    assert!(page.contains(".SH FILES") && page.contains("accounts.toml"));
    assert!(page.contains(".SH ENVIRONMENT"));
    let mut variables = std::collections::BTreeSet::new();
    variables_in(&root.join("src"), &mut variables);
    assert!(variables.contains("MAILKIT_PASSWORD"), "{variables:?}");
    for variable in &variables {
        assert!(
            page.contains(&format!("\\fB{variable}\\fR")),
            "{variable} undocumented"
        );
    }
    // Every page the man pages refer to exists.
    for entry in fs::read_dir(root.join("man")).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap();
        for word in text.split([' ', '\n', ',']) {
            if let Some(name) = word.strip_suffix("(1)") {
                let file = format!("{}.1", name.replace("\\-", "-"));
                assert!(root.join("man").join(&file).exists(), "{word} has no page");
            }
        }
    }
}
