#!/bin/sh
# Benchmark of `mailkit serve` taking mail: Postfix's smtp-source sends COUNT small messages
# over 10 parallel connections (each connection reused for many messages, -d), and we count
# what the server durably accepted (every 250 comes after fsync of the file and of new/).
# The same load against Postfix's smtp-sink (which stores nothing) is the upper bound of the
# client and the machine.
#
# usage: benches/serve.sh [COUNT]          (default 20000)
#   SESSIONS=N   parallel connections (default 10)
#   SIZE=N       message size in bytes (default 512)
#   SERVE_BENCH_DIR=DIR   where the data directory goes (default target/bench-serve;
#                         use a directory on the disk you care about: fsync cost is the figure)
set -eu

cd "$(dirname "$0")/.."
for tool in smtp-source smtp-sink; do
    command -v "$tool" >/dev/null || { echo "serve.sh: $tool is missing: apt-get install postfix" >&2; exit 1; }
done
COUNT=${1:-20000}
SESSIONS=${SESSIONS:-10}
SIZE=${SIZE:-512}
WORK=${SERVE_BENCH_DIR:-$PWD/target/bench-serve}
rm -rf "$WORK"
mkdir -p "$WORK"

cargo build --release --locked --quiet
BIN=$PWD/target/release/mailkit

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# seconds with nanoseconds, for rates
now() { date +%s.%N; }

send() { # send PORT: time smtp-source against 127.0.0.1:PORT, print msgs/s
    start=$(now)
    smtp-source -d -s "$SESSIONS" -l "$SIZE" -m "$COUNT" -f alice@crepes.test -t bob@hamburger.test "127.0.0.1:$1"
    end=$(now)
    python3 -c "import sys; print(f'{$COUNT / ($end - $start):.0f}')"
}

port=$(free_port)
"$BIN" serve --data "$WORK/data" --smtp "127.0.0.1:$port" --pop3 off --imap off --http off \
    --max-connections 64 --max-size 200M >"$WORK/serve.out" 2>"$WORK/serve.err" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true; kill $sink_pid 2>/dev/null || true' EXIT
sleep 0.5
serve_rate=$(send "$port")
stored=$(find "$WORK/data/mail/bob@hamburger.test/new" -type f | wc -l)
rss=$(ps -o rss= -p "$serve_pid")
# One 100 MB message: the server streams it to its file, so its peak memory stays small.
python3 - "$port" <<'PY'
import smtplib, sys
body = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 105_000
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as smtp:
    smtp.sendmail("alice@crepes.test", ["carol@hamburger.test"], body)
PY
peak=$(awk '/VmHWM/ { print $2 }' "/proc/$serve_pid/status")
big=$(find "$WORK/data/mail/carol@hamburger.test/new" -type f -size +100M | wc -l)
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true

port=$(free_port)
smtp-sink -u nobody -c "127.0.0.1:$port" 256 >"$WORK/sink.out" 2>&1 &
sink_pid=$!
sleep 0.5
sink_rate=$(send "$port")
kill "$sink_pid"; wait "$sink_pid" 2>/dev/null || true

fs=$(df -T "$WORK" | awk 'NR == 2 { print $2 }')
echo "messages: $COUNT x $SIZE B over $SESSIONS connections; data on $fs"
echo "mailkit serve: $serve_rate msgs/s durably accepted ($stored stored, RSS ${rss} KiB after)"
echo "smtp-sink:     $sink_rate msgs/s (accepts and stores nothing: the upper bound)"
echo "one 100 MB message: stored $big, server peak RSS ${peak} KiB"
[ "$stored" -eq "$COUNT" ] || { echo "serve.sh: $stored of $COUNT messages stored" >&2; exit 1; }
