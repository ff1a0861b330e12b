#!/usr/bin/env bash
# benches/resolve.sh: `mailkit resolve` against dig and kdig, all asking the test bed's
# authoritative bind9 (DNS_AUTH, 127.53.0.3) inside the `mailkit` network namespace.
#   1. one process, one query (whole process, many runs): goal <= 1/4 of dig, <= kdig;
#   2. 10,000 names of bench.test: `mailkit resolve --batch` vs `dig -f` vs kdig with every
#      name on its command line: goal >= 5x dig's queries/s and >= 25,000 queries/s.
# Needs the test bed up (tests/testbed/up.sh), hyperfine, dig, kdig, jq; run as root (it enters
# the namespace with `ip netns exec`). Usage: benches/resolve.sh [RUNS_SINGLE] [RUNS_BATCH]
set -euo pipefail

cd "$(dirname "$0")/.."
STATE=${MAILKIT_TESTBED:-/tmp/mailkit-testbed}
NETNS=$(sed -n 's/^NETNS=//p' "$STATE/env")
SERVER=$(sed -n 's/^DNS_AUTH=//p' "$STATE/env")
RECORDS=$(sed -n 's/^BENCH_RECORDS=//p' "$STATE/env")
RUNS_SINGLE=${1:-300}
RUNS_BATCH=${2:-10}

for tool in hyperfine dig kdig jq; do
    command -v "$tool" >/dev/null || { echo "resolve.sh: $tool is missing" >&2; exit 69; }
done

cargo build --release --locked --quiet
BIN=$PWD/target/release/mailkit
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

resolve_in_netns() { ip netns exec "$NETNS" "$@"; }

# The same names for every tool.
seq 0 $((RECORDS - 1)) | sed 's/^/n/; s/$/.bench.test/' >"$WORK/names.txt"
sed "s/^/@$SERVER /; s/$/ A/" "$WORK/names.txt" >"$WORK/dig.txt"
{ printf 'exec kdig @%s +noall +answer ' "$SERVER"; tr '\n' ' ' <"$WORK/names.txt"; echo; } >"$WORK/kdig.sh"

# Sanity: every tool gets every answer, or the timing means nothing.
got=$(resolve_in_netns "$BIN" resolve "@$SERVER" --batch "$WORK/names.txt" | grep -c NOERROR || true)
[ "$got" = "$RECORDS" ] || { echo "resolve.sh: mailkit answered $got of $RECORDS" >&2; exit 70; }
got=$(resolve_in_netns dig "@$SERVER" +noall +answer -f "$WORK/dig.txt" | grep -c 'IN	A' || true)
[ "$got" = "$RECORDS" ] || { echo "resolve.sh: dig answered $got of $RECORDS" >&2; exit 70; }

echo "== one query, whole process ($RUNS_SINGLE runs)"
resolve_in_netns hyperfine -N --warmup 20 --runs "$RUNS_SINGLE" --export-json "$WORK/single.json" \
    -n mailkit "$BIN resolve @$SERVER n42.bench.test A" \
    -n dig "dig @$SERVER n42.bench.test A" \
    -n kdig "kdig @$SERVER n42.bench.test A"

echo "== $RECORDS names ($RUNS_BATCH runs)"
resolve_in_netns hyperfine --warmup 1 --runs "$RUNS_BATCH" --export-json "$WORK/batch.json" \
    -n mailkit "$BIN resolve @$SERVER --batch $WORK/names.txt >/dev/null" \
    -n "dig -f" "dig @$SERVER +noall +answer -f $WORK/dig.txt >/dev/null" \
    -n kdig "sh $WORK/kdig.sh >/dev/null"

stat() { jq -r --arg n "$3" --arg s "$2" '.results[] | select(.command == $n) | .[$s]' "$1"; }

echo
echo "== summary (mean, then median: steadier on a busy machine)"
for what in mean median; do
    s_mk=$(stat "$WORK/single.json" $what mailkit)
    s_dig=$(stat "$WORK/single.json" $what dig)
    s_kdig=$(stat "$WORK/single.json" $what kdig)
    b_mk=$(stat "$WORK/batch.json" $what mailkit)
    b_dig=$(stat "$WORK/batch.json" $what "dig -f")
    b_kdig=$(stat "$WORK/batch.json" $what kdig)
    jq -rn --arg what "$what" --argjson smk "$s_mk" --argjson sdig "$s_dig" --argjson skdig "$s_kdig" \
        --argjson bmk "$b_mk" --argjson bdig "$b_dig" --argjson bkdig "$b_kdig" --argjson n "$RECORDS" '
      def r(x): (x * 100 | round) / 100;
      "[\($what)] single query: mailkit \(r($smk*1000)) ms, dig \(r($sdig*1000)) ms, kdig \(r($skdig*1000)) ms; mailkit/dig = \(r($smk/$sdig)) (goal <= 0.25), mailkit/kdig = \(r($smk/$skdig)) (goal <= 1)",
      "[\($what)] batch of \($n): mailkit \(($n/$bmk)|round) q/s, dig -f \(($n/$bdig)|round) q/s, kdig \(($n/$bkdig)|round) q/s; mailkit/dig = \(r($bdig/$bmk))x (goal >= 5), mailkit/kdig = \(r($bkdig/$bmk))x, >= 25000 q/s: \(if $n/$bmk >= 25000 then "met" else "missed" end)"'
done
