#!/usr/bin/env bash
# Benchmarks the outgoing queue against Postfix's smtp-sink on loopback (127.0.0.1 only):
#   1. enqueue cost per message: `mailkit send --queue` run once per message, as a script
#      would, vs msmtpq (msmtp's queueing wrapper script) queueing the same message;
#   2. one `mailkit queue run` of the whole queue vs `mailkit send --mbox` of the same number
#      of messages over one connection (goal: >= 0.5 of its throughput);
#   3. the run's peak memory with 1,000 and with COUNT messages queued (goal: flat).
# The queue lives under $TMPDIR (default /var/tmp, a disk); step 2 is repeated with a copy of
# the queue in /dev/shm (tmpfs) to show what the disk's part of the cost is.
# Usage: benches/queue.sh [COUNT]      (default 10,000; needs postfix and msmtp)
set -euo pipefail

cd "$(dirname "$0")/.."
count=${1:-10000}
msmtpq_count=$((count < 1000 ? count : 1000))
msmtpq=/usr/libexec/msmtp/msmtpq/msmtpq

for tool in /usr/sbin/smtp-sink "$msmtpq" /usr/bin/time python3; do
    [ -x "$tool" ] || command -v "$tool" >/dev/null || { echo "queue.sh: $tool is missing (apt-get install postfix msmtp time python3)" >&2; exit 1; }
done

cargo build --release --locked --quiet
mailkit="$PWD/target/release/mailkit"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/mailkit-queue-bench.XXXXXX")
sink_pid=""
queue_cleanup() {
    if [[ -n "$sink_pid" ]]; then kill "$sink_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap queue_cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/sbin/smtp-sink -u nobody 127.0.0.1:"$port" 1024 &
sink_pid=$!
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.1
done

message() {
    printf 'From: bench@client.test\r\nTo: sink@sink.test\r\nSubject: queued %s\r\nMessage-ID: <q.%s@client.test>\r\n\r\n' "$1" "$1"
    head -c 450 /dev/zero | tr '\0' 'x' | fold -w 72 | sed 's/$/\r/'
}
message one > "$work/one.eml"
for i in $(seq "$count"); do
    printf 'From bench@client.test Mon Jan  1 00:00:00 2024\n'
    message "$i" | tr -d '\r'
    printf '\n'
done > "$work/all.mbox"
route=(--server "127.0.0.1:$port" --tls none --ehlo client.test --from bench@client.test --to sink@sink.test)
now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

echo "== 1. enqueue, one process per message ($(wc -c < "$work/one.eml") bytes, queue in $work)"
start=$(now)
for _ in $(seq "$count"); do
    "$mailkit" send --queue --queue-dir "$work/q" "${route[@]}" "$work/one.eml" > /dev/null
done
mailkit_enqueue=$(secs "$start" "$(now)")
mkdir -p "$work/msmtpq"
# msmtpq queues a message and then tries to send it with $MSMTP; this stand-in answers
# --version and fails every send at once (a relay that is down), so the message stays queued.
# No connection test: msmtpq's would ping the internet.
printf '#!/bin/sh\n[ "$1" = --version ] && exit 0\nexit 75\n' > "$work/msmtp-offline"
chmod +x "$work/msmtp-offline"
start=$(now)
for _ in $(seq "$msmtpq_count"); do
    MSMTP="$work/msmtp-offline" Q="$work/msmtpq" LOG="$work/msmtpq.log" EMAIL_CONN_TEST=x EMAIL_QUEUE_QUIET=t \
        "$msmtpq" --host=127.0.0.1 --port="$port" -f bench@client.test sink@sink.test \
        < "$work/one.eml" > /dev/null
done
msmtpq_enqueue=$(secs "$start" "$(now)")
queued=$(find "$work/msmtpq" -name '*.mail' | wc -l)
[ "$queued" = "$msmtpq_count" ] || { echo "queue.sh: msmtpq queued $queued of $msmtpq_count" >&2; exit 1; }

shm=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    shm=$(mktemp -d /dev/shm/mailkit-queue-bench.XXXXXX)
    cp -a "$work/q" "$shm/q"
fi

echo "== 2. one queue run of $count messages vs send --mbox over one connection"
/usr/bin/time -f '%e %M' -o "$work/run.time" "$mailkit" queue run --queue-dir "$work/q" > "$work/run.out"
delivered=$(grep -c '^delivered ' "$work/run.out")
[ "$delivered" = "$count" ] || { echo "queue.sh: delivered $delivered of $count" >&2; exit 1; }
[ -z "$(ls "$work/q/entries")" ] || { echo "queue.sh: the queue is not empty" >&2; exit 1; }
/usr/bin/time -f '%e %M' -o "$work/mbox.time" "$mailkit" send "${route[@]}" --mbox "$work/all.mbox"
if [ -n "$shm" ]; then
    /usr/bin/time -f '%e %M' -o "$work/shm.time" "$mailkit" queue run --queue-dir "$shm/q" > "$work/shm.out"
    rm -rf "$shm"
    delivered=$(grep -c '^delivered ' "$work/shm.out")
    [ "$delivered" = "$count" ] || { echo "queue.sh: delivered $delivered of $count from tmpfs" >&2; exit 1; }
fi

echo "== 3. peak memory of a run with 1,000 queued"
for _ in $(seq 1000); do
    "$mailkit" send --queue --queue-dir "$work/q1000" "${route[@]}" "$work/one.eml" > /dev/null
done
/usr/bin/time -f '%e %M' -o "$work/run1000.time" "$mailkit" queue run --queue-dir "$work/q1000" > /dev/null

python3 - "$count" "$mailkit_enqueue" "$msmtpq_count" "$msmtpq_enqueue" "$work" <<'PY'
import sys
count, mk, mcount, mq, work = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
def timed(name):
    secs, kb = open(f"{work}/{name}.time").read().split()
    return float(secs), int(kb)
run, run_kb = timed("run")
mbox, mbox_kb = timed("mbox")
run1k, run1k_kb = timed("run1000")
print()
print("== summary")
print(f"enqueue: mailkit {mk / count * 1000:.2f} ms/message ({count} messages), "
      f"msmtpq {mq / mcount * 1000:.2f} ms/message ({mcount} messages): {mk / count / (mq / mcount):.2f} of msmtpq's cost")
print(f"queue run: {count} messages in {run:.2f} s = {count / run:.0f} msgs/s; "
      f"send --mbox: {mbox:.2f} s = {count / mbox:.0f} msgs/s; ratio {mbox / run:.2f} (goal >= 0.5)")
import os
if os.path.exists(f"{work}/shm.time"):
    shm, _ = timed("shm")
    print(f"queue run with the queue on tmpfs: {shm:.2f} s = {count / shm:.0f} msgs/s; ratio {mbox / shm:.2f}")
print(f"peak memory of queue run: {run1k_kb} KB with 1,000 queued, {run_kb} KB with {count} "
      f"(send --mbox of {count}: {mbox_kb} KB)")
PY
