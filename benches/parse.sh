#!/bin/sh
# Benchmark of `mailkit parse` against mblaze (`mhdr -d`, `mshow -t`) and Python's email
# package, on a header-heavy mbox of real messages: the SpamAssassin ham set shipped by the
# Debian package golang-github-gatherstars-com-jwz-dev, repeated to COUNT messages.
#
# usage: benches/parse.sh [COUNT [COUNT2]]     (default: 20000 40000)
#   RUNS=N                rounds per comparison (default 7, after one warm-up round)
#   PARSE_BENCH_DIR=DIR   where inputs go (default target/bench-parse)
#
# Commands are run alternately, round by round (benches/alternate.py), and each row prints the
# median of the per-round ratios, pinned to one CPU (taskset -c 0) and then on two (0,1):
#   - `parse --json` vs `mhdr -d` (every header, decoded) and `mshow -t` (the MIME tree);
#   - `parse -H` (every header, decoded, one per line) vs `mhdr -d`: the like-for-like header row;
#   - `parse --tree` (only the MIME tree) vs `mshow -t`: the like-for-like tree row;
#   - the default view (key headers, MIME tree, hops) vs `mshow -t`;
#   - `parse --json` vs Python's email package (reference).
# Then mailkit's peak RSS (GNU time) on both sizes, to show it does not grow with the mbox.
# mblaze reads a Maildir holding the same messages (it has no mbox reader; it expands a
# Maildir argument to its messages), Python reads the mbox with mailbox + email.parser.
set -eu

cd "$(dirname "$0")/.."
HAM=/usr/share/gocode/src/github.com/gatherstars-com/jwz/test/testdata/ham
if [ ! -d "$HAM" ]; then
    echo "parse.sh: $HAM is missing: apt-get install golang-github-gatherstars-com-jwz-dev" >&2
    exit 1
fi
for tool in mshow mhdr python3 taskset /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "parse.sh: $tool is missing" >&2; exit 1; }
done

SMALL=${1:-20000}
LARGE=${2:-40000}
RUNS=${RUNS:-7}
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
echo "input: $SMALL messages, $(stat -c %s "$MBOX") bytes ($MBOX); load: $(cut -d' ' -f1-3 /proc/loadavg)"

for cpus in 0 0,1; do
    python3 benches/alternate.py --runs "$RUNS" --cpus "$cpus" --label "json  " -- \
        "mailkit=$BIN parse --json $MBOX" \
        "mhdr -d=mhdr -d $MAILDIR" \
        "mshow -t=mshow -t $MAILDIR"
    python3 benches/alternate.py --runs "$RUNS" --cpus "$cpus" --label "-H    " -- \
        "mailkit=$BIN parse -H $MBOX" \
        "mhdr -d=mhdr -d $MAILDIR"
    python3 benches/alternate.py --runs "$RUNS" --cpus "$cpus" --label "tree  " -- \
        "mailkit=$BIN parse --tree $MBOX" \
        "mshow -t=mshow -t $MAILDIR"
    python3 benches/alternate.py --runs "$RUNS" --cpus "$cpus" --label "default" -- \
        "mailkit=$BIN parse $MBOX" \
        "mshow -t=mshow -t $MAILDIR"
done
python3 benches/alternate.py --runs 3 --cpus 0 --label "python " -- \
    "mailkit=$BIN parse --json $MBOX" \
    "python=python3 benches/parse_email.py $MBOX"

for n in "$SMALL" "$LARGE"; do
    rss=$(/usr/bin/time -f %M "$BIN" parse --json "$WORK/ham-$n.mbox" 2>&1 >/dev/null | tail -n 1)
    echo "mailkit peak RSS, $n messages ($(stat -c %s "$WORK/ham-$n.mbox") bytes): $rss KiB"
done
