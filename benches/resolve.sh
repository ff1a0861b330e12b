#!/usr/bin/env bash
# benches/resolve.sh: `mailkit resolve` against dig and kdig, all asking the test bed's
# authoritative bind9 (DNS_AUTH, 127.53.0.3) inside the `mailkit` network namespace.
#   1. one process, one query (whole process): goal <= 1/2 of kdig's time, <= 1/8 of dig's;
#   2. 10,000 names of bench.test: `mailkit resolve --batch` vs `dig -f` vs kdig with every
#      name on its command line: goal >= 10x dig's queries/s and >= 50,000 queries/s;
#   3. the batch again while two busy loops load both CPUs ("under load");
#   4. the batch against nsd: a private nsd (Debian's, tests/packages.sh) that this script
#      starts on 127.53.0.5 inside the namespace with the bed's own bench.test zone file, and
#      stops on exit. bind9 spends more CPU per query than the clients do, so against it the
#      batch measures bind9 as much as mailkit; both rows are printed.
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
nsd_pid=""
cleanup() {
    for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [[ -n "$nsd_pid" ]]; then kill "$nsd_pid" 2>/dev/null || true; wait "$nsd_pid" 2>/dev/null || true; fi
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
# Each server's own CPU time over one run of each batch client, per query: the nanoseconds on
# a CPU of every thread of every server process (/proc/PID/task/TID/schedstat; the tick-sampled
# /proc/PID/stat misses nsd, whose quick wake-ups rarely meet a tick). bind9 is one process,
# nsd forks its servers.
server_pids() {
    if [[ $1 == nsd ]]; then pgrep -f "$WORK/nsd/nsd.conf"; else pgrep -x "$1"; fi
}
server_cpu() {
    local pid
    for pid in $(server_pids "$1"); do cat /proc/"$pid"/task/*/schedstat; done |
        awk '{ total += $1 } END { printf "%d\n", total / 1000 }'
}
per_query_cpu() {
    local before after tool
    for tool in mailkit "dig -f"; do
        before=$(server_cpu "$1")
        if [[ $tool == mailkit ]]; then
            "$BIN" resolve "@$SERVER" --batch "$WORK/names.txt" >/dev/null
        else
            dig "@$SERVER" +noall +answer -f "$WORK/dig.txt" >/dev/null
        fi
        after=$(server_cpu "$1")
        awk -v us=$((after - before)) -v n="$RECORDS" -v who="$1" -v tool="$tool" \
            'BEGIN { printf "server %s CPU serving %s: %.1f us per query\n", who, tool, us / n }'
    done
}
for cpus in 0 0,1; do
    batch "$cpus" "batch  "
done
per_query_cpu named
# Under load: one busy loop per CPU for the duration of the runs.
for cpu in 0 1; do
    taskset -c "$cpu" sh -c 'while :; do :; done' &
    load_pids+=($!)
done
for cpus in 0 0,1; do
    batch "$cpus" "loaded "
done

# The same batch against nsd, which answers with a fraction of bind9's CPU per query.
for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
load_pids=()
NSD=127.53.0.5
mkdir -p "$WORK/nsd"
cat >"$WORK/nsd/nsd.conf" <<EOF
server:
    ip-address: $NSD
    port: 53
    do-ip4: yes
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$STATE/zones"
    database: ""
    zonelistfile: "$WORK/nsd/zone.list"
    xfrdfile: "$WORK/nsd/xfrd.state"
    xfrdir: "$WORK/nsd"
    pidfile: "$WORK/nsd/nsd.pid"
    logfile: "$WORK/nsd/nsd.log"
    server-count: 2
    reuseport: yes
    verbosity: 1
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "bench.test."
    zonefile: "bench.test.zone"
EOF
nsd -d -c "$WORK/nsd/nsd.conf" 2>"$WORK/nsd/stderr.log" &
nsd_pid=$!
for _ in $(seq 100); do
    [ -n "$(dig "@$NSD" +short +time=1 +tries=1 n9999.bench.test A 2>/dev/null)" ] && break
    sleep 0.1
done
SERVER=$NSD
sed "s/^/@$SERVER /; s/$/ A/" "$WORK/names.txt" >"$WORK/dig.txt"
{ printf 'exec kdig @%s +noall +answer ' "$SERVER"; tr '\n' ' ' <"$WORK/names.txt"; echo; } >"$WORK/kdig.sh"
got=$("$BIN" resolve "@$SERVER" --batch "$WORK/names.txt" | grep -c NOERROR || true)
[ "$got" = "$RECORDS" ] || { echo "resolve.sh: mailkit answered $got of $RECORDS from nsd" >&2; exit 70; }
got=$(dig "@$SERVER" +noall +answer -f "$WORK/dig.txt" | grep -c 'IN	A' || true)
[ "$got" = "$RECORDS" ] || { echo "resolve.sh: dig answered $got of $RECORDS from nsd" >&2; exit 70; }
echo "== $RECORDS names from nsd ($NSD, started by this script) ($RUNS_BATCH rounds)"
for cpus in 0 0,1; do
    batch "$cpus" "nsd    "
done
per_query_cpu nsd
for cpu in 0 1; do
    taskset -c "$cpu" sh -c 'while :; do :; done' &
    load_pids+=($!)
done
for cpus in 0 0,1; do
    batch "$cpus" "nsd+ld "
done
