#!/usr/bin/env bash
# The mailkit test command: lint, build, then the whole test suite with the
# real-server test bed (tests/testbed/README.md) up around it.
#
#   tests/run.sh [cargo test args...]     e.g. tests/run.sh -- --nocapture
#
# Needs root (it creates the "mailkit" network namespace and runs Postfix,
# Dovecot and four DNS servers inside it). The build happens on the host, where
# crates.io is reachable; the tests run inside the namespace, offline, so that
# they and the mailkit binary see only the test bed's resolver and addresses.
# MAILKIT_TESTBED_KEEP=1 leaves the bed running afterwards (for debugging).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export MAILKIT_TESTBED_DIR=${MAILKIT_TESTBED_DIR:-/tmp/mailkit-testbed}
STATE=$MAILKIT_TESTBED_DIR

step() { printf '\n==> %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "tests/run.sh: must run as root (network namespace and daemons); try: sudo -E env PATH=\"\$PATH\" tests/run.sh" >&2; exit 2; }

# shellcheck source=tests/packages.sh
. tests/packages.sh
step "packages"
install_test_packages

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
step "cargo build"
cargo build --locked --all-targets
cargo test --locked --no-run

# One bed per machine (one namespace name): serialize concurrent runs, e.g. from
# several git worktrees. The lock is held until this script exits.
exec 9>/run/lock/mailkit-testbed.lock
if ! flock -n 9; then
    echo "tests/run.sh: another run holds the test bed; waiting for it" >&2
    flock 9
fi

step "test bed up ($STATE)"
if [ "${MAILKIT_TESTBED_KEEP:-}" != 1 ]; then
    trap 'step "test bed down"; tests/testbed/down.sh || true' EXIT
fi
tests/testbed/up.sh
tests/testbed/selftest.sh

step "cargo test (inside the mailkit namespace)"
# --no-fail-fast: every test binary runs even when one fails, and the summary
# below names each that failed.
log=$STATE/cargo-test.log
status=0
# The real-server tests are #[ignore]d so that a plain `cargo test` passes on any machine;
# here, with the bed up, they run too (--include-ignored goes after the test binary's `--`).
args=("$@")
if [[ " ${args[*]-} " == *" -- "* ]]; then
    args+=(--include-ignored)
else
    args+=(-- --include-ignored)
fi
ip netns exec mailkit env MAILKIT_TESTBED="$STATE" \
    cargo test --locked --offline --no-fail-fast "${args[@]}" 2>&1 | tee "$log" || status=$?
step "summary"
awk '
    /Running (unittests )?[^ ]+/ { bin = $0; sub(/^ *Running /, "", bin); sub(/ \(.*/, "", bin) }
    /^test result:/ {
        p += $4; f += $6; i += $8; bins++
        if ($6 > 0) { failed[bin] = $6 }
    }
    END {
        for (b in failed) printf "FAILED  %s (%d failing)\n", b, failed[b]
        printf "%d test binaries\n", bins
        printf "%d passed, %d failed, %d skipped\n", p, f, i
    }' "$log"
grep -E '^error: (could not compile|test failed)' "$log" || true
exit "$status"
