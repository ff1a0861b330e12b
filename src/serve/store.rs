//! The server's mailboxes: one Maildir per recipient address under `<data>/mail/`, written only
//! by this server, so it can name files by UID (`<uid>.<unique>`) and let POP3, IMAP and HTTP
//! read the same files. Delivery is durable before SMTP says 250: the message is written once
//! to `<data>/tmp/`, fsynced, hard-linked into each recipient's `new/`, and each `new/` is
//! fsynced (maildir(5) delivery, with the link as the single atomic step), in group commits
//! shared by the deliveries that arrive together.

use std::{
    collections::HashMap,
    fs::{self, File},
    io::{self, Write},
    os::unix::fs::DirBuilderExt,
    path::{Path, PathBuf},
    sync::{
        Condvar, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use crate::{
    durable::{self, sync_dir},
    maildrop::maildir::sync_filesystem,
};

/// The mailboxes of one data directory.
pub struct Store {
    root: PathBuf,
    tmp: PathBuf,
    /// The next UID per mailbox directory, loaded on first use; the lock also orders links so
    /// UIDs become visible in increasing order, as IMAP clients assume (RFC 9051 §2.3.1.1).
    next_uid: Mutex<HashMap<PathBuf, u32>>,
    counter: AtomicU64,
    commit: Mutex<Commit>,
    committed: Condvar,
}

/// The group commit's shared state: deliveries waiting for the next batch, whether a leader is
/// committing one, and the outcomes not yet collected.
#[derive(Default)]
struct Commit {
    queue: Vec<Job>,
    leader: bool,
    next_id: u64,
    done: HashMap<u64, io::Result<Vec<u32>>>,
}

/// One delivery waiting for its batch.
struct Job {
    id: u64,
    incoming: Incoming,
    mailboxes: Vec<PathBuf>,
}

/// One stored message as a reader sees it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Unique and increasing within the mailbox (IMAP UID; the POP3 UIDL is derived from it).
    pub uid: u32,
    /// The file now (it moves to `cur/` when its flags change).
    pub path: PathBuf,
    /// Size in bytes as stored (CRLF line ends, as received), so POP3 and IMAP sizes are exact.
    pub size: u64,
    /// The Maildir info flags (`S`, `R`, `F`, `T`, `D`), sorted.
    pub flags: String,
    /// Delivery time (the file's modification time), seconds since the epoch.
    pub received: u64,
}

impl Entry {
    /// The part of the file name unique to this delivery (the POP3 UIDL: never reused, even
    /// across data directories).
    pub fn unique(&self) -> &str {
        let name = self
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let name = name.split_once(":2,").map_or(name, |(base, _)| base);
        name.split_once('.').map_or(name, |(_, unique)| unique)
    }
}

/// A message being received: written to the store's `tmp/` as it streams in.
pub struct Incoming {
    file: io::BufWriter<File>,
    path: PathBuf,
    name: String,
    size: u64,
}

impl Incoming {
    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl Write for Incoming {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        // Delivered messages are linked elsewhere; an abandoned one must not stay behind.
        let _ = fs::remove_file(&self.path);
    }
}

/// Why an address cannot name a mailbox.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0:?} cannot name a mailbox: it must be local@domain without '/', control characters or a leading dot"
)]
pub struct BadMailbox(pub String);

impl Store {
    /// Opens (creating) the store under `data`.
    pub fn open(data: &Path) -> io::Result<Store> {
        let root = data.join("mail");
        let tmp = data.join("tmp");
        let mut builder = fs::DirBuilder::new();
        builder.mode(0o700).recursive(true);
        builder.create(&root)?;
        builder.create(&tmp)?;
        Ok(Store {
            root,
            tmp,
            next_uid: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
            commit: Mutex::new(Commit::default()),
            committed: Condvar::new(),
        })
    }

    /// The directory of an address's mailbox (lowercased: addresses differing only in case
    /// share one mailbox, as users expect of a test server).
    pub fn mailbox_dir(&self, address: &str) -> Result<PathBuf, BadMailbox> {
        let name = address.trim().to_lowercase();
        let ok = !name.is_empty()
            && name.len() <= 254
            && name.contains('@')
            && !name.starts_with('.')
            && !name
                .chars()
                .any(|c| c == '/' || c == '\\' || c.is_control() || c.is_whitespace());
        if !ok {
            return Err(BadMailbox(address.to_string()));
        }
        Ok(self.root.join(name))
    }

    /// Every mailbox that has received mail, by address, sorted.
    pub fn mailboxes(&self) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = fs::read_dir(&self.root)?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Starts receiving a message into `tmp/`.
    pub fn begin(&self) -> io::Result<Incoming> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let name = format!(
            "{}.M{}P{}Q{}.mailkit",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        );
        let path = self.tmp.join(&name);
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Incoming {
            file: io::BufWriter::with_capacity(64 * 1024, file),
            path,
            name,
            size: 0,
        })
    }

    /// Makes a received message durable in every recipient's mailbox; only after this returns
    /// may the server say 250. Returns the UID given in each mailbox.
    ///
    /// Group commit: deliveries that arrive while a batch is being committed wait for the
    /// next one, and one of them (the leader) commits that batch for all: one syncfs(2) makes
    /// every file durable, each is hard-linked into its recipients' `new/`, and each `new/` is
    /// fsynced once. A delivery is acknowledged only when its batch is durable.
    pub fn deliver(&self, incoming: Incoming, mailboxes: &[PathBuf]) -> io::Result<Vec<u32>> {
        let mut incoming = incoming;
        incoming.file.flush()?;
        let mut state = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        let id = state.next_id;
        state.next_id += 1;
        state.queue.push(Job {
            id,
            incoming,
            mailboxes: mailboxes.to_vec(),
        });
        loop {
            if let Some(result) = state.done.remove(&id) {
                return result;
            }
            if state.leader {
                state = self
                    .committed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.leader = true;
            let batch = std::mem::take(&mut state.queue);
            drop(state);
            let results = self.commit_batch(&batch);
            // The temporary names go only after every link exists.
            drop(batch);
            state = self.commit.lock().unwrap_or_else(|e| e.into_inner());
            state.done.extend(results);
            state.leader = false;
            self.committed.notify_all();
        }
    }

    fn commit_batch(&self, batch: &[Job]) -> Vec<(u64, io::Result<Vec<u32>>)> {
        let Some(first) = batch.first() else {
            return Vec::new();
        };
        if let Err(err) = sync_filesystem(first.incoming.file.get_ref()) {
            return batch
                .iter()
                .map(|job| (job.id, Err(io::Error::new(err.kind(), err.to_string()))))
                .collect();
        }
        let mut dirs: Vec<&Path> = Vec::new();
        let mut results: Vec<(u64, io::Result<Vec<u32>>)> = batch
            .iter()
            .map(|job| {
                let uids = job
                    .mailboxes
                    .iter()
                    .map(|dir| {
                        if !dirs.contains(&dir.as_path()) {
                            dirs.push(dir);
                        }
                        self.link(&job.incoming.path, dir, "new", &job.incoming.name)
                    })
                    .collect::<io::Result<Vec<u32>>>();
                (job.id, uids)
            })
            .collect();
        for dir in dirs {
            if let Err(err) = sync_dir(&dir.join("new")) {
                // Every delivery into that mailbox is in doubt: none is acknowledged.
                for ((_, result), job) in results.iter_mut().zip(batch) {
                    if job.mailboxes.iter().any(|m| m == dir) {
                        *result = Err(io::Error::new(err.kind(), err.to_string()));
                    }
                }
            }
        }
        results
    }

    /// Links `source` into `dir/<sub>/` under the next UID and makes the link durable.
    fn link(&self, source: &Path, dir: &Path, sub: &str, name: &str) -> io::Result<u32> {
        let uid = {
            let mut next = self.next_uid.lock().unwrap_or_else(|e| e.into_inner());
            // Under the lock: concurrent first deliveries must not both create the mailbox.
            if !next.contains_key(dir) {
                create_maildir(dir)?;
            }
            let uid = match next.get(dir) {
                Some(&uid) => uid,
                None => (highest_uid(dir)? + 1).max(recorded_uid_next(dir)?),
            };
            fs::hard_link(source, dir.join(sub).join(file_name(uid, name)))?;
            next.insert(dir.to_path_buf(), uid + 1);
            uid
        };
        Ok(uid)
    }

    /// Copies a message into another mailbox (IMAP COPY and MOVE) with its flags, under that
    /// mailbox's next UID; returns the UID.
    pub fn copy(&self, entry: &Entry, dest: &Path) -> io::Result<u32> {
        let name = format!("{}:2,{}", entry.unique(), entry.flags);
        let uid = self.link(&entry.path, dest, "cur", &name)?;
        sync_dir(&dest.join("cur"))?;
        Ok(uid)
    }

    /// The directory of a folder of a mailbox (Maildir++: `.Name` inside it); `INBOX` is the
    /// mailbox itself. `None` for a name that could escape the mailbox.
    pub fn folder_dir(&self, mailbox: &Path, folder: &str) -> Option<PathBuf> {
        if folder.eq_ignore_ascii_case("INBOX") {
            return Some(mailbox.to_path_buf());
        }
        let ok = !folder.is_empty()
            && folder.len() <= 200
            && !folder.starts_with('.')
            && !folder.contains("..")
            && folder
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '/' && c != '\\' || c == ' ');
        ok.then(|| mailbox.join(format!(".{folder}")))
    }

    /// The folders of a mailbox besides INBOX, sorted.
    pub fn folders(&self, mailbox: &Path) -> io::Result<Vec<String>> {
        let read = match fs::read_dir(mailbox) {
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let mut names: Vec<String> = read
            .filter_map(Result::ok)
            .filter(|e| e.path().join("cur").is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|n| n.strip_prefix('.').map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Creates a folder (IMAP CREATE).
    pub fn create_folder(&self, dir: &Path) -> io::Result<()> {
        let _next = self.next_uid.lock().unwrap_or_else(|e| e.into_inner());
        create_maildir(dir)
    }

    /// The messages of a mailbox in UID order (empty for a mailbox that has had no mail).
    pub fn list(&self, dir: &Path) -> io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for sub in ["new", "cur"] {
            let read = match fs::read_dir(dir.join(sub)) {
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            };
            for item in read {
                let item = item?;
                let Ok(name) = item.file_name().into_string() else {
                    continue;
                };
                let Some(uid) = parse_uid(&name) else {
                    continue;
                };
                let meta = match item.metadata() {
                    Ok(meta) => meta,
                    Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                    Err(err) => return Err(err),
                };
                let flags = name
                    .split_once(":2,")
                    .map(|(_, f)| f.to_string())
                    .unwrap_or_default();
                let received = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                entries.push(Entry {
                    uid,
                    path: item.path(),
                    size: meta.len(),
                    flags,
                    received,
                });
            }
        }
        entries.sort_by_key(|e| e.uid);
        entries.dedup_by_key(|e| e.uid);
        Ok(entries)
    }

    /// Removes a message (POP3 DELE at QUIT, IMAP EXPUNGE, HTTP DELETE). The mailbox first
    /// records that its UID is used, so a restart never gives it to another message.
    pub fn remove(&self, entry: &Entry) -> io::Result<()> {
        if let Some(dir) = entry.path.parent().and_then(Path::parent) {
            let recorded = recorded_uid_next(dir)?;
            if entry.uid >= recorded {
                write_durably(
                    &dir.join("uidnext"),
                    format!("{}\n", entry.uid + 1).as_bytes(),
                )?;
            }
        }
        match fs::remove_file(&entry.path) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }

    /// Gives a message new Maildir flags by moving it to `cur/<name>:2,<flags>`; returns the
    /// entry as it now is.
    pub fn set_flags(&self, dir: &Path, entry: &Entry, flags: &str) -> io::Result<Entry> {
        let mut sorted: Vec<char> = flags.chars().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let flags: String = sorted.into_iter().collect();
        let base = entry
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.split_once(":2,").map_or(n, |(b, _)| b).to_string())
            .unwrap_or_default();
        fs::create_dir_all(dir.join("cur"))?;
        let target = dir.join("cur").join(format!("{base}:2,{flags}"));
        if target != entry.path {
            fs::rename(&entry.path, &target)?;
        }
        Ok(Entry {
            path: target,
            flags,
            ..entry.clone()
        })
    }

    /// The UID the next message will get (IMAP UIDNEXT).
    pub fn uid_next(&self, dir: &Path) -> io::Result<u32> {
        let next = self.next_uid.lock().unwrap_or_else(|e| e.into_inner());
        match next.get(dir) {
            Some(&uid) => Ok(uid),
            None if dir.join("new").is_dir() => {
                Ok((highest_uid(dir)? + 1).max(recorded_uid_next(dir)?))
            }
            None => Ok(1),
        }
    }

    /// The mailbox's UIDVALIDITY (RFC 9051 §2.3.1.1), created with the mailbox.
    pub fn uid_validity(&self, dir: &Path) -> io::Result<u32> {
        match fs::read_to_string(dir.join("uidvalidity")) {
            Ok(text) => Ok(text.trim().parse().unwrap_or(1)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(1),
            Err(err) => Err(err),
        }
    }

    /// Gives the mailbox a new UIDVALIDITY (a fault to test clients' resynchronisation).
    pub fn bump_uid_validity(&self, dir: &Path) -> io::Result<u32> {
        let _next = self.next_uid.lock().unwrap_or_else(|e| e.into_inner());
        create_maildir(dir)?;
        let next = self.uid_validity(dir)?.wrapping_add(1).max(1);
        write_durably(&dir.join("uidvalidity"), format!("{next}\n").as_bytes())?;
        Ok(next)
    }
}

/// `<uid>.<unique>`: the UID first, zero-padded, so a directory listing sorts by UID.
fn file_name(uid: u32, unique: &str) -> String {
    format!("{uid:010}.{unique}")
}

fn parse_uid(name: &str) -> Option<u32> {
    name.split_once('.')?.0.parse().ok().filter(|&uid| uid > 0)
}

fn highest_uid(dir: &Path) -> io::Result<u32> {
    let mut highest = 0;
    for sub in ["new", "cur"] {
        for item in fs::read_dir(dir.join(sub))? {
            if let Some(uid) = item?.file_name().to_str().and_then(parse_uid) {
                highest = highest.max(uid);
            }
        }
    }
    Ok(highest)
}

/// The UIDNEXT recorded when the highest messages were removed (1 when none was).
fn recorded_uid_next(dir: &Path) -> io::Result<u32> {
    match fs::read_to_string(dir.join("uidnext")) {
        Ok(text) => Ok(text.trim().parse().unwrap_or(1)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(1),
        Err(err) => Err(err),
    }
}

fn create_maildir(dir: &Path) -> io::Result<()> {
    if dir.join("new").is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.mode(0o700).recursive(true);
    for sub in ["tmp", "new", "cur"] {
        builder.create(dir.join(sub))?;
    }
    let validity = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() as u32);
    write_durably(&dir.join("uidvalidity"), format!("{validity}\n").as_bytes())?;
    sync_dir(dir)?;
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Replaces a small file atomically and durably (mailkit's one way: [`durable::replace`]).
fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    durable::replace(path, |out| out.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_to_each_mailbox_with_increasing_uids() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let bob = store.mailbox_dir("Bob@Hamburger.test").unwrap();
        let carol = store.mailbox_dir("carol@hamburger.test").unwrap();
        for text in ["one", "two"] {
            let mut m = store.begin().unwrap();
            m.write_all(text.as_bytes()).unwrap();
            store.deliver(m, &[bob.clone(), carol.clone()]).unwrap();
        }
        let listed = store.list(&bob).unwrap();
        assert_eq!(listed.iter().map(|e| e.uid).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(fs::read(&listed[1].path).unwrap(), b"two");
        store.remove(&listed[0]).unwrap();
        assert_eq!(store.list(&bob).unwrap().len(), 1);
        assert_eq!(store.list(&carol).unwrap().len(), 2);
        assert!(
            fs::read_dir(dir.path().join("tmp"))
                .unwrap()
                .next()
                .is_none()
        );
        assert_eq!(
            store.mailboxes().unwrap(),
            ["bob@hamburger.test", "carol@hamburger.test"]
        );
    }

    #[test]
    fn uids_continue_after_restart_and_flags_move_to_cur() {
        let dir = tempfile::tempdir().unwrap();
        let bob = {
            let store = Store::open(dir.path()).unwrap();
            let bob = store.mailbox_dir("bob@x.test").unwrap();
            store
                .deliver(store.begin().unwrap(), std::slice::from_ref(&bob))
                .unwrap();
            bob
        };
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store
                .deliver(store.begin().unwrap(), std::slice::from_ref(&bob))
                .unwrap(),
            [2]
        );
        let second = store.list(&bob).unwrap().remove(1);
        assert!(second.unique().ends_with(".mailkit") && !second.unique().starts_with('0'));
        store.remove(&second).unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store
                .deliver(store.begin().unwrap(), std::slice::from_ref(&bob))
                .unwrap(),
            [3]
        );
        let first = store.list(&bob).unwrap().remove(0);
        let seen = store.set_flags(&bob, &first, "SF").unwrap();
        assert!(seen.path.to_str().unwrap().ends_with(":2,FS"));
        assert_eq!(store.list(&bob).unwrap()[0].flags, "FS");
    }

    #[test]
    fn concurrent_first_deliveries_to_one_mailbox_all_land_with_distinct_uids() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let bob = store.mailbox_dir("bob@x.test").unwrap();
        let mut uids: Vec<u32> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        store
                            .deliver(store.begin().unwrap(), std::slice::from_ref(&bob))
                            .unwrap()[0]
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        uids.sort_unstable();
        assert_eq!(uids, (1..=8).collect::<Vec<_>>());
        assert_eq!(store.list(&bob).unwrap().len(), 8);
    }

    #[test]
    fn refuses_addresses_that_escape_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for bad in ["../x@y", "a/b@c", ".hidden@x", "nodomain", "a b@c", ""] {
            assert!(store.mailbox_dir(bad).is_err(), "{bad}");
        }
    }
}
