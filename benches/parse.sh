#!/bin/sh
# Benchmark of `mailkit parse --json` against mblaze (`mshow -t`) and Python's email package,
# on a header-heavy mbox of real messages: the SpamAssassin ham set shipped by the Debian package
# golang-github-gatherstars-com-jwz-dev, repeated to COUNT messages.
#
# usage: benches/parse.sh [COUNT [COUNT2]]     (default: 20000 40000)
#   RUNS=N        hyperfine runs per command (default 3, after one warm-up)
#   PARSE_BENCH_DIR=DIR   where inputs and results go (default target/bench-parse)
#
# Times all three on the first size in one hyperfine run and prints MiB/s and ratios; then
# measures mailkit's peak RSS (GNU time) on both sizes, to show it does not grow with the mbox.
# mblaze reads a Maildir holding the same messages (it has no mbox reader; mshow expands a
# Maildir argument to its messages), Python reads the mbox with mailbox + email.parser.
set -eu

cd "$(dirname "$0")/.."
HAM=/usr/share/gocode/src/github.com/gatherstars-com/jwz/test/testdata/ham
if [ ! -d "$HAM" ]; then
    echo "parse.sh: $HAM is missing: apt-get install golang-github-gatherstars-com-jwz-dev" >&2
    exit 1
fi
for tool in hyperfine mshow python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "parse.sh: $tool is missing" >&2; exit 1; }
done

SMALL=${1:-20000}
LARGE=${2:-40000}
RUNS=${RUNS:-3}
WORK=${PARSE_BENCH_DIR:-$PWD/target/bench-parse}
mkdir -p "$WORK"
export MBLAZE="$WORK/mblaze-profile"   # keep mblaze's state out of $HOME
mkdir -p "$MBLAZE"

cargo build --release --locked --quiet
BIN=$PWD/target/release/mailkit

for n in "$SMALL" "$LARGE"; do
    if [ ! -f "$WORK/ham-$n.mbox" ]; then
        rm -rf "$WORK/ham-$n.maildir"
        python3 benches/parse_mkmbox.py "$HAM" "$n" "$WORK/ham-$n.mbox" "$WORK/ham-$n.maildir"
    fi
done

MBOX=$WORK/ham-$SMALL.mbox
MAILDIR=$WORK/ham-$SMALL.maildir
BYTES=$(stat -c %s "$MBOX")
echo "input: $SMALL messages, $BYTES bytes ($MBOX)"

hyperfine --warmup 1 --runs "$RUNS" --export-json "$WORK/hyperfine-$SMALL.json" \
    -n mailkit "$BIN parse --json $MBOX" \
    -n mblaze "mshow -t $MAILDIR" \
    -n python "python3 benches/parse_email.py $MBOX"

python3 - "$WORK/hyperfine-$SMALL.json" "$BYTES" <<'PY'
import json, sys
results = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
mib = int(sys.argv[2]) / 2**20
speed = {name: mib / mean for name, mean in results.items()}
for name, s in speed.items():
    print(f"{name:8} {results[name]*1000:10.1f} ms  {s:8.1f} MiB/s")
print(f"mailkit / mblaze: {speed['mailkit'] / speed['mblaze']:.2f}x   (goal >= 2x)")
print(f"mailkit / python: {speed['mailkit'] / speed['python']:.1f}x   (goal >= 20x)")
PY

for n in "$SMALL" "$LARGE"; do
    rss=$(/usr/bin/time -f %M "$BIN" parse --json "$WORK/ham-$n.mbox" 2>&1 >/dev/null | tail -n 1)
    echo "mailkit peak RSS, $n messages ($(stat -c %s "$WORK/ham-$n.mbox") bytes): $rss KiB"
done
