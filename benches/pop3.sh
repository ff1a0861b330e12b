#!/usr/bin/env bash
# POP3 fetch benchmark against the test bed's real Dovecot (run as root, bed up):
#   benches/pop3.sh [COUNT]        (default 10000 messages of ~4 KB)
#
# Fills bob's mailbox (the POP3 tests own it: do not run them at the same time) with COUNT
# realistic messages, then in one hyperfine run measures, all over implicit TLS (995) and
# all keeping the messages on the server:
#   - mailkit fetch --maildir   vs  mpop --delivery=maildir   (both durable: mpop fsyncs each
#                                                             message, mailkit syncfs()s each batch)
#   - mailkit fetch --mbox      vs  mpop --delivery=mbox      (mpop's fastest built-in mode)
#   - fetchmail --bsmtp to a file (reference; fetchmail has no Maildir/mbox delivery of its own)
# and peak RSS (/usr/bin/time -v) of mailkit fetching one 200 MB message to a Maildir and to
# stdout. Output files go to a directory on the root disk (real fsyncs), shown at the end.
set -euo pipefail

COUNT=${1:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${MAILKIT_TESTBED:-/tmp/mailkit-testbed}

if [[ "$(ip netns identify $$ 2>/dev/null)" != mailkit ]]; then
    cargo build --release --locked --manifest-path "$ROOT/Cargo.toml" >&2
    exec ip netns exec mailkit env MAILKIT_TESTBED="$STATE" "$0" "$@"
fi

# shellcheck disable=SC1091
source "$STATE/env"
for tool in hyperfine mpop fetchmail python3 /usr/bin/time; do
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

cat >"$WORK/fetchmailrc" <<EOF
poll $POP3_HOST protocol pop3 service $POP3S_PORT
    user "bob" password "$BOB_PASS"
    ssl sslcertck sslcertfile "$CA_FILE" sslcommonname pop.hamburger.test
    keep fetchall bsmtp "$WORK/fetchmail.bsmtp"
EOF
chmod 600 "$WORK/fetchmailrc"

hyperfine --warmup 1 --runs "${RUNS:-5}" --export-markdown "$WORK/results.md" \
    --export-json "$WORK/results.json" \
    -n "mailkit fetch --maildir" \
    --prepare "rm -rf $WORK/mk $WORK/mk.state*" \
    "$MK_CMD--maildir $WORK/mk --state-file $WORK/mk.state" \
    -n "mpop --delivery=maildir" \
    --prepare "rm -rf $WORK/mp $WORK/mp.uidl && mkdir -p $WORK/mp/tmp $WORK/mp/new $WORK/mp/cur" \
    "$MPOP_CMD--uidls-file=$WORK/mp.uidl --delivery=maildir,$WORK/mp" \
    -n "mailkit fetch --mbox" \
    --prepare "rm -f $WORK/mk.mbox $WORK/mk.state*" \
    "$MK_CMD--mbox $WORK/mk.mbox --state-file $WORK/mk.state" \
    -n "mpop --delivery=mbox" \
    --prepare "rm -f $WORK/mp.mbox $WORK/mp.uidl" \
    "$MPOP_CMD--uidls-file=$WORK/mp.uidl --delivery=mbox,$WORK/mp.mbox" \
    -n "fetchmail --bsmtp (reference)" \
    --prepare "rm -f $WORK/fetchmail.bsmtp $WORK/fetchmail.id" \
    "fetchmail -f $WORK/fetchmailrc -i $WORK/fetchmail.id --nosyslog --silent || test \$? = 1"

echo "== checking that every run delivered all $COUNT messages" >&2
test "$(find "$WORK/mk/new" -type f | wc -l)" = "$COUNT"
test "$(find "$WORK/mp/new" -type f | wc -l)" = "$COUNT"
test "$(grep -c '^From MAILER-DAEMON ' "$WORK/mk.mbox")" = "$COUNT"

python3 - "$WORK/results.json" <<'EOF'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
def ratio(a, b):
    return f"{r[b] / r[a]:.2f}x"
print()
for name, mean in r.items():
    print(f"{name:32s} {mean:7.3f} s")
print(f"maildir: mailkit is {ratio('mailkit fetch --maildir', 'mpop --delivery=maildir')} mpop (goal >= 3x)")
print(f"mbox:    mailkit is {ratio('mailkit fetch --mbox', 'mpop --delivery=mbox')} mpop (goal >= 1x)")
EOF

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
echo "results: $WORK/results.md" >&2
