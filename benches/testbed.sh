#!/usr/bin/env bash
# Runs a benchmark inside the test bed, the way tests/run.sh runs the tests: it takes the
# machine-wide test bed lock (/run/lock/mailkit-testbed.lock) for its whole duration, so that
# it never collides with a test run from another worktree, brings the bed up, runs the
# command in the `mailkit` namespace with MAILKIT_TESTBED set, and takes the bed down.
#
#   benches/testbed.sh COMMAND [ARGS...]      (as root; e.g. benches/testbed.sh benches/pop3.sh)
#
# benches/pop3.sh and benches/resolve.sh call this themselves when started outside it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ "$(id -u)" = 0 ] || { echo "benches/testbed.sh: must run as root" >&2; exit 2; }
export MAILKIT_TESTBED_DIR=${MAILKIT_TESTBED_DIR:-/tmp/mailkit-testbed}

# Built before the lock is taken, so that the bed is held only while measuring.
cargo build --release --locked --quiet

exec 9>/run/lock/mailkit-testbed.lock
if ! flock -n 9; then
    echo "benches/testbed.sh: another run holds the test bed; waiting for it" >&2
    flock 9
fi
trap 'tests/testbed/down.sh >/dev/null 2>&1 || true' EXIT
tests/testbed/up.sh >&2
ip netns exec mailkit env MAILKIT_TESTBED="$MAILKIT_TESTBED_DIR" MAILKIT_BENCH_IN_BED=1 "$@"
