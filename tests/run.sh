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
status=0
ip netns exec mailkit env MAILKIT_TESTBED="$STATE" cargo test --locked --offline "$@" || status=$?
exit "$status"
