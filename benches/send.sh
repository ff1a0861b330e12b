#!/usr/bin/env bash
# Benchmarks `mailkit send` against Postfix's smtp-sink on loopback (127.0.0.1 only):
#   1. one message, whole process: mailkit vs msmtp, swaks and curl (hyperfine);
#   2. 1,000 messages over one connection: `mailkit send --mbox` vs `smtp-source -m 1000 -s 1`.
# Usage: benches/send.sh [--quick]     (needs hyperfine, postfix, msmtp, swaks, curl)
# Goals (issue 4): one message <= 1/3 of curl's time and <= 1/10 of msmtp's; 1,000 messages at
# >= smtp-source's messages per second.
set -euo pipefail

cd "$(dirname "$0")/.."
runs=50
[[ "${1:-}" == "--quick" ]] && runs=10

for tool in hyperfine msmtp swaks curl /usr/sbin/smtp-sink /usr/sbin/smtp-source; do
    command -v "$tool" >/dev/null || { echo "send.sh: $tool is missing (apt-get install hyperfine postfix msmtp swaks curl)" >&2; exit 1; }
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

size=2048
send_message() {
    printf 'From: bench@client.test\r\nTo: sink@sink.test\r\nSubject: bench %s\r\nMessage-ID: <bench.%s@client.test>\r\n\r\n' "$1" "$1"
    head -c $((size * 3 / 4)) /dev/zero | tr '\0' 'x' | fold -w 72 | sed 's/$/\r/'
}
send_message one > "$work/one.eml"
for i in $(seq 1000); do
    printf 'From bench@client.test Mon Jan  1 00:00:00 2024\n'
    send_message "$i" | tr -d '\r'
    printf '\n'
done > "$work/thousand.mbox"

echo "== one message, whole process (smtp-sink on 127.0.0.1:$port, $(wc -c < "$work/one.eml") bytes)"
hyperfine --warmup 5 --runs "$runs" --export-json "$work/one.json" -N \
    -n mailkit "$mailkit send --server 127.0.0.1:$port --tls none --ehlo client.test --from bench@client.test --to sink@sink.test $work/one.eml" \
    -n curl "curl -s smtp://127.0.0.1:$port --mail-from bench@client.test --mail-rcpt sink@sink.test --upload-file $work/one.eml" \
    -n msmtp "sh -c 'msmtp --host=127.0.0.1 --port=$port --tls=off --auth=off --from=bench@client.test sink@sink.test < $work/one.eml'" \
    -n swaks "swaks --silent 2 --server 127.0.0.1:$port --helo client.test --from bench@client.test --to sink@sink.test --data $work/one.eml"

echo
echo "== 1,000 messages of ~$size bytes over one connection"
hyperfine --warmup 2 --runs $((runs / 5 > 3 ? runs / 5 : 3)) --export-json "$work/thousand.json" -N \
    -n mailkit "$mailkit send --server 127.0.0.1:$port --tls none --ehlo client.test --from bench@client.test --to sink@sink.test --mbox $work/thousand.mbox" \
    -n smtp-source "/usr/sbin/smtp-source -m 1000 -s 1 -l $size -f bench@client.test -t sink@sink.test 127.0.0.1:$port"

python3 - "$work/one.json" "$work/thousand.json" <<'EOF'
import json, sys
one = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
many = {r["command"]: r["median"] for r in json.load(open(sys.argv[2]))["results"]}
print()
print("== summary (medians: the machine may be shared, and a median shrugs off a stalled run)")
m = one["mailkit"]
for other in ("curl", "msmtp", "swaks"):
    print(f"one message: mailkit {m*1000:.2f} ms vs {other} {one[other]*1000:.2f} ms = {m/one[other]:.3f} of its time")
for name, secs in many.items():
    print(f"1,000 messages: {name} {secs*1000:.0f} ms = {1000/secs:.0f} msgs/s")
print(f"mailkit / smtp-source throughput: {many['smtp-source']/many['mailkit']:.2f}x")
EOF
