#!/usr/bin/env bash
# Benchmarks the outgoing queue against Postfix's smtp-sink on loopback (127.0.0.1 only; no
# test bed needed). Commands are alternated round by round (benches/alternate.py), so the load
# of a shared machine weighs on each alike, and every ratio is the median of per-round ratios:
#   1. enqueue cost per message: `mailkit send --queue` run once per message, as a script
#      would, vs msmtpq (msmtp's queueing wrapper script) queueing the same message, BATCH
#      messages per round each, into a fresh queue;
#   2. one `mailkit queue run` of COUNT queued messages vs `mailkit send --mbox` of the same
#      number of messages over one connection (goal: >= 0.5 of its throughput), each round on
#      a fresh copy of the queue, synced to disk before the timed run; the same run with the
#      queue on tmpfs (/dev/shm) shows the disk's part; with BEFORE=/path/to/an/older/mailkit
#      its `send --queue` and `queue run` (of a queue it wrote itself) are alternated with
#      mailkit's;
#   3. the run's peak memory with 1,000 and with COUNT messages queued (goal: flat).
# The queue lives under $TMPDIR (default /var/tmp, a disk: here the root ext4, like /tmp and
# /work).
# Usage: [RUNS=5] [BATCH=200] [BEFORE=mailkit] benches/queue.sh [COUNT]   (about 5 minutes)
#        (default COUNT 10,000; needs postfix, msmtp and time)
set -euo pipefail

cd "$(dirname "$0")/.."
count=${1:-10000}
runs=${RUNS:-5}
batch=${BATCH:-200}
before=${BEFORE:-}
msmtpq=/usr/libexec/msmtp/msmtpq/msmtpq

for tool in /usr/sbin/smtp-sink "$msmtpq" /usr/bin/time python3; do
    [ -x "$tool" ] || command -v "$tool" >/dev/null || { echo "queue.sh: $tool is missing (apt-get install postfix msmtp time python3)" >&2; exit 1; }
done

cargo build --release --locked --quiet
mailkit="$PWD/target/release/mailkit"

work=$(mktemp -d "${TMPDIR:-/var/tmp}/mailkit-queue-bench.XXXXXX")
sink_pid=""
shm=""
queue_cleanup() {
    if [[ -n "$sink_pid" ]]; then kill "$sink_pid" 2>/dev/null || true; fi
    rm -rf "$work"
    if [[ -n "$shm" ]]; then rm -rf "$shm"; fi
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

printf '#!/bin/sh\n[ "$1" = --version ] && exit 0\nexit 75\n' > "$work/msmtp-offline"
chmod +x "$work/msmtp-offline"
# msmtpq queues a message and then tries to send it with $MSMTP; this stand-in answers
# --version and fails every send at once (a relay that is down), so the message stays queued.
# No connection test: msmtpq's would ping the internet.
cat > "$work/enqueue-mailkit" <<SH
#!/bin/sh
for i in \$(seq $batch); do
    "$mailkit" send --queue --queue-dir "$work/eq" ${route[*]} "$work/one.eml" > /dev/null || exit 1
done
SH
cat > "$work/enqueue-msmtpq" <<SH
#!/bin/sh
for i in \$(seq $batch); do
    MSMTP="$work/msmtp-offline" Q="$work/msmtpq" LOG="$work/msmtpq.log" EMAIL_CONN_TEST=x EMAIL_QUEUE_QUIET=t \
        "$msmtpq" --host=127.0.0.1 --port=$port -f bench@client.test sink@sink.test < "$work/one.eml" > /dev/null || exit 1
done
SH
chmod +x "$work/enqueue-mailkit" "$work/enqueue-msmtpq"
enqueuers=(mailkit="$work/enqueue-mailkit")
if [ -n "$before" ]; then
    sed -e "s|\"$mailkit\"|\"$before\"|" -e "s|$work/eq|$work/eqb|" "$work/enqueue-mailkit" > "$work/enqueue-before"
    chmod +x "$work/enqueue-before"
    enqueuers+=(mailkit-before="$work/enqueue-before")
fi
enqueuers+=(msmtpq="$work/enqueue-msmtpq") # last: its queue is checked below

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. enqueue, one process per message ($(wc -c < "$work/one.eml") bytes, $batch per round, queue in $work)"
python3 benches/alternate.py --runs "$runs" --count "$batch" --label "enqueue " \
    --setup "rm -rf '$work/eq' '$work/eqb' '$work/msmtpq' && mkdir -p '$work/msmtpq'" -- \
    "${enqueuers[@]}" | tee "$work/enqueue.txt"
queued=$(find "$work/msmtpq" -name '*.mail' | wc -l)
[ "$queued" = "$batch" ] || { echo "queue.sh: msmtpq queued $queued of $batch" >&2; exit 1; }

echo "== 2. one queue run of $count messages vs send --mbox over one connection"
fill() { # fill BINARY DIR N
    for _ in $(seq "$3"); do
        "$1" send --queue --queue-dir "$2" "${route[@]}" "$work/one.eml" > /dev/null
    done
}
fill "$mailkit" "$work/master" "$count"
commands=(queue-run="$mailkit queue run --queue-dir $work/q" send-mbox="$mailkit send ${route[*]} --mbox $work/all.mbox")
# Before each timed command, every queue a run has emptied is copied afresh from its master
# (a queue of the format before keeps its messages in entries/), and the copies are synced,
# so their files have blocks on the disk as an enqueued message's have.
cat > "$work/refill" <<'SH'
#!/bin/sh
# refill QUEUE MASTER SUBDIR...
q=$1 master=$2
shift 2
for sub in "$@"; do
    [ -n "$(ls -A "$q/$sub" 2>/dev/null)" ] && exit 0
done
rm -rf "$q" && cp -a "$master" "$q"
SH
chmod +x "$work/refill"
setup="'$work/refill' '$work/q' '$work/master' messages"
if [ -n "$before" ]; then
    fill "$before" "$work/master-before" "$count"
    commands+=(queue-run-before="$before queue run --queue-dir $work/qb")
    setup="$setup && '$work/refill' '$work/qb' '$work/master-before' entries messages"
fi
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    shm=$(mktemp -d /dev/shm/mailkit-queue-bench.XXXXXX)
    commands+=(queue-run-tmpfs="$mailkit queue run --queue-dir $shm/q")
    setup="$setup && '$work/refill' '$shm/q' '$work/master' messages"
fi
setup="$setup && sync -f '$work'"
# One checked run first: every message delivered, the queue left empty, memory measured.
sh -c "$setup"
/usr/bin/time -f '%e %M' -o "$work/run.time" "$mailkit" queue run --queue-dir "$work/q" > "$work/run.out"
delivered=$(grep -c '^delivered ' "$work/run.out")
[ "$delivered" = "$count" ] || { echo "queue.sh: delivered $delivered of $count" >&2; exit 1; }
[ -z "$(ls "$work/q/messages")" ] && [ -z "$(ls "$work/q/tmp")" ] || { echo "queue.sh: the queue is not empty" >&2; exit 1; }
/usr/bin/time -f '%e %M' -o "$work/mbox.time" "$mailkit" send "${route[@]}" --mbox "$work/all.mbox"
python3 benches/alternate.py --runs "$runs" --count "$count" --label "deliver " --setup "$setup" -- \
    "${commands[@]}" | tee "$work/run.txt"

echo "== 3. peak memory of a run with 1,000 queued"
fill "$mailkit" "$work/q1000" 1000
/usr/bin/time -f '%e %M' -o "$work/run1000.time" "$mailkit" queue run --queue-dir "$work/q1000" > /dev/null
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$count" "$batch" "$work" <<'PY'
import re, sys
count, batch, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def wall(file, name):
    for line in open(f"{work}/{file}"):
        m = re.search(rf"\b{re.escape(name)}\s+\S.*?wall\s+([\d.]+) ms", line)
        if m:
            return float(m.group(1)) / 1000
def ratio(file, name):
    for line in open(f"{work}/{file}"):
        if re.search(rf"\b{re.escape(name)}\s", line):
            m = re.search(r"is\s+([\d.]+)x faster \(wall\)", line)
            if m:
                return float(m.group(1))
def kb(name):
    return int(open(f"{work}/{name}.time").read().split()[1])
mk, mq = wall("enqueue.txt", "mailkit"), wall("enqueue.txt", "msmtpq")
print()
print("== summary (medians of alternated rounds)")
print(f"enqueue: mailkit {mk / batch * 1000:.2f} ms/message, msmtpq {mq / batch * 1000:.2f} ms/message: "
      f"mailkit costs {1 / ratio('enqueue.txt', 'msmtpq'):.2f} of msmtpq's (per-round median)")
if ratio("enqueue.txt", "mailkit-before"):
    mb = wall("enqueue.txt", "mailkit-before")
    print(f"enqueue of the BEFORE binary: {mb / batch * 1000:.2f} ms/message, "
          f"{ratio('enqueue.txt', 'mailkit-before') / ratio('enqueue.txt', 'msmtpq'):.2f} of msmtpq's")
run, mbox = wall("run.txt", "queue-run"), wall("run.txt", "send-mbox")
print(f"queue run: {count} messages in {run:.2f} s = {count / run:.0f} msgs/s; send --mbox: {mbox:.2f} s = "
      f"{count / mbox:.0f} msgs/s; throughput ratio {ratio('run.txt', 'send-mbox'):.2f} (goal >= 0.5)")
for name, what in [("queue-run-tmpfs", "with the queue on tmpfs"), ("queue-run-before", "of the BEFORE binary")]:
    r = ratio("run.txt", name)
    if r:
        t = wall("run.txt", name)
        print(f"queue run {what}: {t:.2f} s = {count / t:.0f} msgs/s; throughput ratio to send --mbox "
              f"{ratio('run.txt', 'send-mbox') / r:.2f}")
print(f"peak memory of queue run: {kb('run1000')} KB with 1,000 queued, {kb('run')} KB with {count} "
      f"(send --mbox of {count}: {kb('mbox')} KB)")
PY
