#!/usr/bin/env bash
# Benchmarks `mailkit send` against Postfix's smtp-sink on loopback (127.0.0.1 only; no test
# bed needed: the sink is started here and stopped on exit):
#   1. one message, whole process: mailkit vs curl, msmtp and swaks;
#   2. COUNT messages over one connection: `mailkit send --mbox` vs `smtp-source -d -m COUNT -s 1`
#      (messages per second; -d keeps smtp-source on one connection, without it it reconnects
#      for every message), with the CPU time the sink spent serving each;
#   3. peak RSS of `send --mbox` for 1,000 / 10,000 / 50,000 messages (1.7 / 17 / 85 MB).
# Commands are run alternately, round by round (benches/alternate.py): each row prints the
# median of the per-round ratios, pinned to one CPU (taskset -c 0) and on two (0,1).
# Usage: benches/send.sh [COUNT]      (default 50000; needs postfix, msmtp, swaks, curl)
#   RUNS=N   rounds (default 15 for one message, 5 for the mbox)
# Goals (issue 13): one message <= 1/4 of curl's time; --mbox >= 5x smtp-source's messages/s
# over one connection; peak RSS <= 16 MiB whatever the mbox size.
set -euo pipefail

cd "$(dirname "$0")/.."
COUNT=${1:-50000}

for tool in msmtp swaks curl taskset /usr/bin/time /usr/sbin/smtp-sink /usr/sbin/smtp-source; do
    command -v "$tool" >/dev/null || { echo "send.sh: $tool is missing (apt-get install postfix msmtp swaks curl)" >&2; exit 1; }
done

cargo build --release --locked --quiet
mailkit="$PWD/target/release/mailkit"

work=$(mktemp -d)
sink_pid=""
send_cleanup() {
    if [[ -n "$sink_pid" ]]; then kill "$sink_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap send_cleanup EXIT

# A free loopback port for the sink.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# smtp-sink: answers 250 to everything, offers PIPELINING and 8BITMIME, keeps nothing.
/usr/sbin/smtp-sink -u nobody 127.0.0.1:"$port" 1024 &
sink_pid=$!
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.1
done

# Messages of about 1.7 KB: headers and 22 lines of text.
size=1700
python3 - "$work" "$COUNT" <<'EOF'
import sys
work, count = sys.argv[1], int(sys.argv[2])
body = ("x" * 71 + "\n") * 22
def message(i):
    return (f"From: bench@client.test\nTo: sink@sink.test\nSubject: bench {i}\n"
            f"Message-ID: <bench.{i}@client.test>\n\n{body}")
with open(f"{work}/one.eml", "w", newline="\r\n") as f:
    f.write(message("one"))
for n in sorted({1000, count, 10000, 50000}):
    with open(f"{work}/{n}.mbox", "w") as f:
        for i in range(n):
            f.write(f"From bench@client.test Mon Jan  1 00:00:00 2024\n{message(i)}\n")
EOF
# The mboxes just written are ~100 MB of dirty pages: flush them now, or their writeback lands
# in the timed runs of whichever tool comes first (it doubled the one-message times).
sync

echo "== load: $(cut -d' ' -f1-3 /proc/loadavg); sink on 127.0.0.1:$port"
echo "== one message, whole process ($(wc -c < "$work/one.eml") bytes)"
for cpus in 0 0,1; do
    python3 benches/alternate.py --runs "${RUNS:-15}" --cpus "$cpus" --label "one    " -- \
        "mailkit=$mailkit send --server 127.0.0.1:$port --tls none --ehlo client.test --from bench@client.test --to sink@sink.test $work/one.eml" \
        "curl=curl -s smtp://127.0.0.1:$port --mail-from bench@client.test --mail-rcpt sink@sink.test --upload-file $work/one.eml" \
        "msmtp=msmtp --host=127.0.0.1 --port=$port --tls=off --auth=off --from=bench@client.test sink@sink.test < $work/one.eml" \
        "swaks=swaks --silent 2 --server 127.0.0.1:$port --helo client.test --from bench@client.test --to sink@sink.test --data @$work/one.eml"
done

echo
echo "== $COUNT messages of ~$size bytes over one connection (ratio of times = ratio of messages/s)"
mbox_cmd="$mailkit send --server 127.0.0.1:$port --tls none --ehlo client.test --from bench@client.test --to sink@sink.test --mbox $work/$COUNT.mbox"
source_cmd="/usr/sbin/smtp-source -d -m $COUNT -s 1 -l $size -f bench@client.test -t sink@sink.test 127.0.0.1:$port"
for cpus in 0 0,1; do
    python3 benches/alternate.py --runs "${RUNS:-5}" --cpus "$cpus" --label "mbox   " --count "$COUNT" -- \
        "mailkit=$mbox_cmd" "smtp-source=$source_cmd"
done
# The sink's share: its CPU time (user + system, clock ticks of /proc/PID/stat) while serving
# one run of each client, per message. The sink is one process, not pinned.
sink_cpu() { awk '{ print $14 + $15 }' "/proc/$sink_pid/stat"; }
hz=$(getconf CLK_TCK)
for name in mailkit smtp-source; do
    if [[ $name == mailkit ]]; then cmd=$mbox_cmd; else cmd=$source_cmd; fi
    before=$(sink_cpu)
    $cmd >/dev/null
    after=$(sink_cpu)
    echo "sink   CPU serving $name: $(( (after - before) * 1000000 / hz / COUNT )) us per message"
done

echo
echo "== peak RSS of send --mbox"
for n in 1000 10000 50000; do
    rss=$( { /usr/bin/time -f %M "$mailkit" send --server 127.0.0.1:"$port" --tls none --ehlo client.test \
        --from bench@client.test --to sink@sink.test --mbox "$work/$n.mbox" >/dev/null; } 2>&1 | tail -n 1)
    echo "rss    $n messages ($(stat -c %s "$work/$n.mbox") bytes): $((rss / 1024)) MiB (goal <= 16 MiB)"
done
