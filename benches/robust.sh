#!/bin/sh
# Peak memory under huge and hostile input (issue 9): `mailkit parse` of a message with a
# 1 GiB base64 attachment in every view, and `mailkit list` against a POP3 server whose CAPA
# reply is 50,000 lines of 8 KB. Prints peak RSS (GNU time's %M, mapped file pages included)
# and wall time per run.
#
# usage: benches/robust.sh [MIB]      (attachment size, default 1024)
#   ROBUST_BENCH_DIR=DIR   where the generated message goes (default target/bench-robust)
set -eu

cd "$(dirname "$0")/.."
for tool in /usr/bin/time python3 base64; do
    command -v "$tool" >/dev/null || { echo "robust.sh: $tool is missing" >&2; exit 1; }
done
MIB=${1:-1024}
WORK=${ROBUST_BENCH_DIR:-$PWD/target/bench-robust}
mkdir -p "$WORK"
cargo build --release --locked --quiet
BIN=$PWD/target/release/mailkit

MSG=$WORK/big-$MIB.eml
[ -f "$MSG" ] || benches/robust_mkmsg.sh "$MIB" "$MSG"
echo "parse: $(du -h "$MSG" | cut -f1) message, ${MIB} MiB attachment"
for view in "" --json --text "--part 1.2" "--extract $WORK/extracted"; do
    rm -rf "$WORK/extracted"
    # shellcheck disable=SC2086
    /usr/bin/time -f "  parse ${view:-(tree)}: peak RSS %M KiB, %e s" \
        "$BIN" parse $view "$MSG" >/dev/null
done
rm -rf "$WORK/extracted"

# A POP3 server answering CAPA with 50,000 lines of 8 KB (400 MB): refused at the 64 KiB
# budget (exit 76); before the budget, `list` held about 780 MiB of it.
PORTFILE=$WORK/capa.port
rm -f "$PORTFILE"
python3 benches/robust_capa.py 50000 >"$PORTFILE" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
while [ ! -s "$PORTFILE" ]; do sleep 0.1; done
PORT=$(cat "$PORTFILE")
echo "list against a 50,000 x 8 KB CAPA reply:"
MAILKIT_PASSWORD=x /usr/bin/time -f "  list: peak RSS %M KiB, %e s" \
    "$BIN" list --server "127.0.0.1:$PORT" --user bench --tls none --allow-cleartext-auth \
    >/dev/null 2>"$WORK/capa.err" || true
grep -v '^Command exited' "$WORK/capa.err" | sed 's/^/  /'
