#!/usr/bin/env bash
# benches/resolve.sh: `mailkit resolve` against dig and kdig, all asking the test bed's
# authoritative bind9 (DNS_AUTH, 127.53.0.3) inside the `mailkit` network namespace.
#   1. one process, one query (whole process): goal <= 1/2 of kdig's time, <= 1/8 of dig's;
#   2. 10,000 names of bench.test: `mailkit resolve --batch` vs `dig -f` vs kdig with every
#      name on its command line: goal >= 10x dig's queries/s and >= 50,000 queries/s;
#   3. the batch again while two busy loops load both CPUs ("under load").
# Commands are run alternately, round by round (benches/alternate.py): each row prints the
# median of the per-round ratios, pinned to one CPU (taskset -c 0) and on two (0,1).
# As root; started outside the bed, it runs itself through benches/testbed.sh, which holds the
# test bed lock (the one tests/run.sh takes) for its whole duration.
# Usage: benches/resolve.sh [RUNS_SINGLE] [RUNS_BATCH]      (default 41 and 7)
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ "${MAILKIT_BENCH_IN_BED:-}" != 1 ]]; then
    exec benches/testbed.sh benches/resolve.sh "$@"
fi
STATE=${MAILKIT_TESTBED:-/tmp/mailkit-testbed}
SERVER=$(sed -n 's/^DNS_AUTH=//p' "$STATE/env")
RECORDS=$(sed -n 's/^BENCH_RECORDS=//p' "$STATE/env")
RUNS_SINGLE=${1:-41}
RUNS_BATCH=${2:-7}

for tool in dig kdig taskset python3; do
    command -v "$tool" >/dev/null || { echo "resolve.sh: $tool is missing" >&2; exit 69; }
done

BIN=$PWD/target/release/mailkit
WORK=$(mktemp -d)
load_pids=()
cleanup() {
    for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# The same names for every tool.
seq 0 $((RECORDS - 1)) | sed 's/^/n/; s/$/.bench.test/' >"$WORK/names.txt"
sed "s/^/@$SERVER /; s/$/ A/" "$WORK/names.txt" >"$WORK/dig.txt"
{ printf 'exec kdig @%s +noall +answer ' "$SERVER"; tr '\n' ' ' <"$WORK/names.txt"; echo; } >"$WORK/kdig.sh"

# Sanity: every tool gets every answer, or the timing means nothing.
got=$("$BIN" resolve "@$SERVER" --batch "$WORK/names.txt" | grep -c NOERROR || true)
[ "$got" = "$RECORDS" ] || { echo "resolve.sh: mailkit answered $got of $RECORDS" >&2; exit 70; }
got=$(dig "@$SERVER" +noall +answer -f "$WORK/dig.txt" | grep -c 'IN	A' || true)
[ "$got" = "$RECORDS" ] || { echo "resolve.sh: dig answered $got of $RECORDS" >&2; exit 70; }

echo "== load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== one query, whole process ($RUNS_SINGLE rounds)"
for cpus in 0 0,1; do
    python3 benches/alternate.py --runs "$RUNS_SINGLE" --cpus "$cpus" --label "one    " -- \
        "mailkit=$BIN resolve @$SERVER n42.bench.test A" \
        "kdig=kdig @$SERVER n42.bench.test A" \
        "dig=dig @$SERVER n42.bench.test A"
done

echo "== $RECORDS names ($RUNS_BATCH rounds); queries/s = $RECORDS / wall time"
batch() {
    python3 benches/alternate.py --runs "$RUNS_BATCH" --cpus "$1" --label "$2" --count "$RECORDS" -- \
        "mailkit=$BIN resolve @$SERVER --batch $WORK/names.txt" \
        "dig -f=dig @$SERVER +noall +answer -f $WORK/dig.txt" \
        "kdig=sh $WORK/kdig.sh"
}
for cpus in 0 0,1; do
    batch "$cpus" "batch  "
done
# Under load: one busy loop per CPU for the duration of the runs.
for cpu in 0 1; do
    taskset -c "$cpu" sh -c 'while :; do :; done' &
    load_pids+=($!)
done
for cpus in 0 0,1; do
    batch "$cpus" "loaded "
done
