#!/usr/bin/env bash
# IMAP fetch benchmark against the test bed's real Dovecot (run as root, bed up):
#   benches/imap.sh [COUNT]        (default 10000 messages of ~4 KB; RUNS=5 by default)
#
# Fills box6's INBOX with COUNT realistic messages (benches/pop3_corpus.py), then RUNS times,
# alternating the tools run by run so that a slow moment of the machine hits each alike, over
# implicit TLS (993), every tool keeping the messages on the server:
#   - mailkit fetch --maildir                     (BODY.PEEK, group commit)
#   - mbsync (isync) pulling INBOX into a Maildir (fsyncs each message by default)
#   - fetchmail --bsmtp to a file (reference; fetchmail has no Maildir delivery of its own)
# and prints each run's times and the ratio of each pair (same run), then the median ratios.
# Then: `mailkit fetch --new` with nothing new, and peak RSS (/usr/bin/time -v) of mailkit
# fetching one 200 MB message to a Maildir and to stdout. Output files go to /var/tmp (the
# root disk: real fsyncs). Do not run the IMAP tests at the same time (box6 is the bench's).
set -euo pipefail

COUNT=${1:-10000}
RUNS=${RUNS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${MAILKIT_TESTBED:-/tmp/mailkit-testbed}

if [[ "$(ip netns identify $$ 2>/dev/null)" != mailkit ]]; then
    cargo build --release --locked --manifest-path "$ROOT/Cargo.toml" >&2
    exec ip netns exec mailkit env MAILKIT_TESTBED="$STATE" RUNS="$RUNS" "$0" "$@"
fi

# shellcheck disable=SC1091
source "$STATE/env"
for tool in mbsync fetchmail python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "imap.sh: $tool is missing (apt-get install it)" >&2; exit 1; }
done

WORK=$(mktemp -d /var/tmp/mailkit-imap-bench.XXXXXX)
BIN="$WORK/mailkit"
cp "$ROOT/target/release/mailkit" "$BIN"
SERVER="$IMAP_HOST:$IMAPS_PORT"
export MAILKIT_PASSWORD="$BOX6_PASS"
MK=("$BIN" fetch --server "$SERVER" --user box6 --ca-file "$CA_FILE")

empty_box() { find "$MAILDIR_BOX6/new" "$MAILDIR_BOX6/cur" -type f -delete; }
# fill_box COUNT [SIZE_BYTES]
fill_box() { python3 "$ROOT/benches/pop3_corpus.py" "$1" "$MAILDIR_BOX6" "$MAIL_UID" "$MAIL_GID" ${2:+"$2"}; }

cat >"$WORK/mbsyncrc" <<EOF
IMAPAccount bench
Host imap.hamburger.test
Port $IMAPS_PORT
User box6
Pass $BOX6_PASS
SSLType IMAPS
CertificateFile $CA_FILE

IMAPStore remote
Account bench

MaildirStore local
Path $WORK/mb/
Inbox $WORK/mb/INBOX

Channel inbox
Far :remote:INBOX
Near :local:INBOX
Sync Pull
Create Near
Expunge None
Remove None
SyncState *
EOF
cat >"$WORK/fetchmailrc" <<EOF
poll imap.hamburger.test protocol imap service $IMAPS_PORT
    user "box6" password "$BOX6_PASS"
    ssl sslcertck sslcertfile "$CA_FILE" sslcommonname imap.hamburger.test
    keep fetchall bsmtp "$WORK/fetchmail.bsmtp"
EOF
chmod 600 "$WORK/mbsyncrc" "$WORK/fetchmailrc"

echo "== filling box6's INBOX with $COUNT messages" >&2
empty_box
fill_box "$COUNT"
du -sh "$MAILDIR_BOX6/new" >&2
# Let Dovecot build its index and cache once, outside the measurements.
"$BIN" list --server "$SERVER" --user box6 --ca-file "$CA_FILE" >/dev/null

# seconds CMD...: runs CMD, prints its wall time in seconds ("nan" if it failed, with its
# error on stderr, so one broken tool does not hide the others' figures)
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>"$WORK/last.err" || { cat "$WORK/last.err" >&2; echo nan; return 0; }
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

printf 'load average before the runs: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'run  mailkit  mbsync  fetchmail  mbsync/mailkit  fetchmail/mailkit\n' | tee "$WORK/runs.txt"
# A run's output is moved aside, not deleted, until every run is done: on an ext4 without a
# journal (as here) inode allocation skips inodes freed in the last minutes one by one
# (recently_deleted), so deleting 20,000 files between runs made the next tool pay seconds
# of system time for the bench's own cleanup, whichever tool it was.
mkdir -p "$WORK/old"
for ((run = 0; run <= RUNS; run++)); do
    for out in mk mk.state mb fetchmail.bsmtp fetchmail.id; do
        if [ -e "$WORK/$out" ]; then mv "$WORK/$out" "$WORK/old/$out.$run"; fi
    done
    rm -f "$WORK/mk.state".*
    mkdir -p "$WORK/mb"
    mk=$(seconds "${MK[@]}" --maildir "$WORK/mk" --state-file "$WORK/mk.state")
    mb=$(seconds mbsync -q -c "$WORK/mbsyncrc" inbox)
    fm=$(seconds sh -c "fetchmail -f '$WORK/fetchmailrc' -i '$WORK/fetchmail.id' --nosyslog --silent || test \$? = 1")
    # every tool must have delivered every message, or its time means nothing
    test "$(find "$WORK/mk/new" -type f | wc -l)" = "$COUNT" || mk=nan
    test "$(find "$WORK/mb/INBOX" -path '*/new/*' -o -path '*/cur/*' -type f 2>/dev/null | wc -l)" = "$COUNT" || mb=nan
    test "$(grep -c '^MAIL FROM' "$WORK/fetchmail.bsmtp" 2>/dev/null)" = "$COUNT" || fm=nan
    if ((run == 0)); then continue; fi # warm-up
    awk -v r="$run" -v a="$mk" -v b="$mb" -v c="$fm" \
        'BEGIN { printf "%3d  %7.3f  %6.3f  %9.3f  %14.2f  %17.2f\n", r, a, b, c, b / a, c / a }' |
        tee -a "$WORK/runs.txt"
done
printf 'load average after the runs: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$WORK/old"
median() { awk -v col="$1" 'NR > 1 { print $col }' "$WORK/runs.txt" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf 'median ratio: mbsync/mailkit %sx (goal >= 2), fetchmail/mailkit %sx (goal >= 3)\n' "$(median 5)" "$(median 6)"

echo "== fetch --new with nothing new ($COUNT messages on the server, all fetched before)" >&2
for i in 1 2 3; do
    printf 'fetch --new, nothing new: %s s\n' "$(seconds "${MK[@]}" --new --maildir "$WORK/mk" --state-file "$WORK/mk.state")"
done

echo "== peak RSS fetching one 200 MB message" >&2
empty_box
fill_box 1 209715200
"$BIN" list --server "$SERVER" --user box6 --ca-file "$CA_FILE"
rm -rf "$WORK/big" "$WORK/big.state"*
/usr/bin/time -v "${MK[@]}" --maildir "$WORK/big" --state-file "$WORK/big.state" 2>"$WORK/rss-maildir.txt"
uid=$("$BIN" list --json --server "$SERVER" --user box6 --ca-file "$CA_FILE" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["uid"])')
/usr/bin/time -v "${MK[@]}" --stdout --uidl "$uid" 2>"$WORK/rss-stdout.txt" >/dev/null
for mode in maildir stdout; do
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/rss-$mode.txt")
    echo "peak RSS, 200 MB message to $mode: $((kb / 1024)) MiB (goal <= 64 MiB)"
done
empty_box
echo "runs: $WORK/runs.txt" >&2
