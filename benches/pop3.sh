#!/usr/bin/env bash
# POP3 fetch benchmark against the test bed's real Dovecot (as root):
#   benches/pop3.sh [COUNT]        (default 10000 messages of ~4 KB)
#
# Started outside the bed, it runs itself through benches/testbed.sh, which holds the test bed
# lock (the one tests/run.sh takes) for its whole duration and brings the bed up and down.
# Fills bob's mailbox with COUNT realistic messages, then measures, all over implicit TLS (995)
# and all keeping the messages on the server, alternating the commands round by round
# (benches/alternate.py; each row prints the median per-round ratio), on one CPU and on two:
#   - mailkit fetch --maildir   vs  mpop --delivery=maildir   (both durable: mpop fsyncs each
#                                                             message, mailkit syncfs()s each batch)
#   - mailkit fetch --mbox      vs  mpop --delivery=mbox      (mpop's fastest built-in mode)
# Every run writes into a fresh directory (this disk slows down after a mass delete; all runs'
# output is removed at the end). Then the threads one Maildir fetch starts (clone/clone3
# calls, strace -f -c) and peak RSS (/usr/bin/time -v) of mailkit fetching one 200 MB message
# to a Maildir and to stdout.
#   RUNS=N   rounds (default 5)
set -euo pipefail

COUNT=${1:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [[ "${MAILKIT_BENCH_IN_BED:-}" != 1 ]]; then
    exec "$ROOT/benches/testbed.sh" "$ROOT/benches/pop3.sh" "$@"
fi
STATE=${MAILKIT_TESTBED:-/tmp/mailkit-testbed}

# shellcheck disable=SC1091
source "$STATE/env"
for tool in mpop python3 strace taskset /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "pop3.sh: $tool is missing (apt-get install it)" >&2; exit 1; }
done

WORK=$(mktemp -d /var/tmp/mailkit-pop3-bench.XXXXXX)
BIN="$WORK/mailkit"
cp "$ROOT/target/release/mailkit" "$BIN"
SERVER="$POP3_HOST:$POP3S_PORT"
export MAILKIT_PASSWORD="$BOB_PASS"

empty_bob() { find "$MAILDIR_BOB/new" "$MAILDIR_BOB/cur" -type f -delete; }
# fill_bob COUNT [SIZE_BYTES]
fill_bob() { python3 "$ROOT/benches/pop3_corpus.py" "$1" "$MAILDIR_BOB" "$MAIL_UID" "$MAIL_GID" ${2:+"$2"}; }

echo "== filling bob's mailbox with $COUNT messages" >&2
empty_bob
fill_bob "$COUNT"
du -sh "$MAILDIR_BOB/new" >&2
# Let Dovecot build its index once, outside the measurements.
"$BIN" list --server "$SERVER" --user bob --ca-file "$CA_FILE" >/dev/null

MPOP=(mpop "--host=$POP3_HOST" "--port=$POP3S_PORT" --tls=on --tls-starttls=off
      "--tls-trust-file=$CA_FILE" --auth=user --user=bob "--passwordeval=echo $BOB_PASS"
      --keep=on --only-new=off --pipelining=auto -q)
MK=("$BIN" fetch --server "$SERVER" --user bob --ca-file "$CA_FILE")
# hyperfine runs command strings through a shell: quote each word.
MPOP_CMD=$(printf '%q ' "${MPOP[@]}")
MK_CMD=$(printf '%q ' "${MK[@]}")

echo "== load: $(cut -d' ' -f1-3 /proc/loadavg)"
# Each run gets a fresh directory under $WORK/runs.
mkdir -p "$WORK/runs"
FRESH='d=$(mktemp -d -p '"$WORK/runs"')'
for cpus in 0 0,1; do
    python3 "$ROOT/benches/alternate.py" --runs "${RUNS:-5}" --cpus "$cpus" --label "maildir " -- \
        "mailkit=$FRESH; ${MK_CMD}--maildir \$d/m --state-file \$d/state" \
        "mpop=$FRESH; mkdir \$d/m \$d/m/tmp \$d/m/new \$d/m/cur; ${MPOP_CMD}--uidls-file=\$d/uidl --delivery=maildir,\$d/m"
    python3 "$ROOT/benches/alternate.py" --runs "${RUNS:-5}" --cpus "$cpus" --label "mbox    " -- \
        "mailkit=$FRESH; ${MK_CMD}--mbox \$d/mbox --state-file \$d/state" \
        "mpop=$FRESH; ${MPOP_CMD}--uidls-file=\$d/uidl --delivery=mbox,\$d/mbox"
done

echo "== checking that every run delivered all $COUNT messages" >&2
for d in "$WORK"/runs/*; do
    if [[ -d "$d/m/new" ]]; then
        test "$(find "$d/m/new" -type f | wc -l)" = "$COUNT"
    else
        test "$(grep -c '^From ' "$d/mbox")" = "$COUNT"
    fi
done
rm -rf "$WORK/runs"

echo "== threads started by one Maildir fetch of $COUNT messages"
rm -rf "$WORK/threads"
strace -f -c -o "$WORK/strace.txt" -e trace=clone,clone3 "${MK[@]}" --maildir "$WORK/threads" --state-file "$WORK/threads.state"
threads=$(awk '$NF ~ /^clone3?$/ {n += $4} END {print n + 0}' "$WORK/strace.txt")
echo "threads mailkit fetch --maildir: $threads started (clone/clone3), $((threads + 1)) in total (goal <= 32)"
rm -rf "$WORK/threads" "$WORK/threads.state"

echo "== peak RSS fetching one 200 MB message" >&2
empty_bob
fill_bob 1 209715200
"$BIN" list --server "$SERVER" --user bob --ca-file "$CA_FILE"
rm -rf "$WORK/big"
/usr/bin/time -v "${MK[@]}" --maildir "$WORK/big" --state-file "$WORK/big.state" 2>"$WORK/rss-maildir.txt"
/usr/bin/time -v "${MK[@]}" --stdout 1 2>"$WORK/rss-stdout.txt" >/dev/null
for mode in maildir stdout; do
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/rss-$mode.txt")
    echo "peak RSS, 200 MB message to $mode: $((kb / 1024)) MiB (goal <= 64 MiB)"
done
empty_bob
rm -rf "$WORK"
