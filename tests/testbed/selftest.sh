#!/usr/bin/env bash
# Check that a running test bed does what README.md promises, with the usual
# tools (dig, swaks, curl, openssl) run inside the namespace. tests/run.sh runs
# it right after up.sh, so that a broken bed is told apart from a broken mailkit.
# Leaves no trace: its mail goes to postmaster@hamburger.test and is deleted.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/testbed/lib.sh
. "$HERE/lib.sh"
need_root
[ -f "$STATE/env" ] || die "no $STATE/env: is the test bed up?"

failures=0
ok() { printf 'selftest: ok   %s\n' "$1" >&2; }
bad() { printf 'selftest: FAIL %s\n' "$1" >&2; failures=$((failures + 1)); }
# expect DESCRIPTION PATTERN CMD...: a line of CMD's output (stdout+stderr) matches the extended regex
# (AUTH is required on 587/465, so "queued" there also proves AUTH worked)
expect() {
    local what=$1 pattern=$2 out
    shift 2
    out=$("$@" 2>&1 | tr -d '\0') || true
    if grep -qE -- "$pattern" <<<"$out"; then ok "$what"; else
        bad "$what"
        # shellcheck disable=SC2001
        printf '  command: %s\n  wanted:  /%s/\n  got:\n%s\n' "$*" "$pattern" "$(tail -n 15 <<<"$out" | sed 's/^/    /')" >&2
    fi
}
dig_() { in_ns dig +time=3 +tries=1 "$@"; }

# ---- DNS
expect "root serves . SOA" 'status: NOERROR.*' dig_ +norec @127.53.0.1 . SOA
expect "root refers test. to ns.nic.test" 'test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+NS[[:space:]]+ns\.nic\.test\.' dig_ +norec @127.53.0.1 hamburger.test MX
expect "TLD refers hamburger.test" 'hamburger\.test\.[[:space:]].*NS[[:space:]]+ns1\.hamburger\.test\.' dig_ +norec @127.53.0.2 hamburger.test MX
expect "resolver: MX of hamburger.test" '^10 mx1\.hamburger\.test\.$' dig_ +short hamburger.test MX
expect "resolver: PTR of 127.25.0.1" '^mx1\.hamburger\.test\.$' dig_ +short -x 127.25.0.1
expect "resolver: NXDOMAIN" 'status: NXDOMAIN' dig_ nosuch.hamburger.test A
expect "resolver: null MX" '^0 \.$' dig_ +short nullmx.hamburger.test MX
expect "resolver: bench.test" '^127\.60\.39\.15$' dig_ +short n9999.bench.test A
expect "auth: big TXT truncates over UDP" 'flags: qr aa tc' dig_ +notcp +ignore @127.53.0.3 big.hamburger.test TXT
expect "auth: lame2.test is REFUSED" 'status: REFUSED' dig_ +norec @127.53.0.3 lame2.test SOA
expect "resolver: lame2.test is SERVFAIL" 'status: SERVFAIL' dig_ lame2.test SOA

# ---- SMTP
tag="selftest-$$-$(date +%s)"
swaks_() { in_ns swaks --from alice@crepes.test --to postmaster@hamburger.test --h-Subject "$tag" "$@"; }
expect "25: plain delivery" '250 2\.0\.0 Ok: queued' swaks_ --server 127.25.0.1
expect "25: STARTTLS, verified" '250 2\.0\.0 Ok: queued' swaks_ --server mx1.hamburger.test --tls --tls-verify --tls-ca-path "$STATE/ca.pem"
expect "25: unknown user is 550 5.1.1" '550 5\.1\.1' in_ns swaks --server 127.25.0.1 --from alice@crepes.test --to nobody@hamburger.test
expect "25: no relaying" '554 5\.7\.1' in_ns swaks --server 127.25.0.1 --from alice@crepes.test --to x@example.com
expect "587: STARTTLS + AUTH PLAIN" '250 2\.0\.0 Ok: queued' swaks_ --server mail.hamburger.test --port 587 --tls \
    --tls-verify --tls-ca-path "$STATE/ca.pem" --auth PLAIN --auth-user alice --auth-password alice-smtp-pw
expect "587: no AUTH before STARTTLS" '530 5\.7\.0' in_ns swaks --server 127.25.0.1 --port 587 --from alice@crepes.test --to bob@hamburger.test
expect "465: implicit TLS + AUTH LOGIN" '250 2\.0\.0 Ok: queued' swaks_ --server 127.25.0.1 --port 465 --tlsc \
    --tls-verify --tls-ca-path "$STATE/ca.pem" --auth LOGIN --auth-user alice --auth-password alice-smtp-pw
expect "sink: accepts anything" '250 2\.0\.0 Ok' in_ns swaks --server 127.25.0.3 --from a@b.test --to c@d.test

# ---- delivery into the Maildir, then POP3
md=$STATE/mail/postmaster/Maildir
for ((i = 0; i < 50; i++)); do
    [ "$(grep -lsF "$tag" "$md"/new/* "$md"/cur/* | wc -l)" -ge 4 ] && break
    sleep 0.1
done
if [ "$(grep -lsF "$tag" "$md"/new/* "$md"/cur/* | wc -l)" -ge 4 ]; then ok "Postfix delivered 4 messages into the Maildir"; else bad "Postfix delivered 4 messages into the Maildir"; fi

curl_() { in_ns curl -sS --max-time 5 --cacert "$STATE/ca.pem" -u postmaster:postmaster-pop-pw "$@"; }
expect "995: POP3 LIST" '^1 [0-9]+' curl_ pop3s://pop.hamburger.test/
expect "110: POP3 STLS, LIST" '^1 [0-9]+' curl_ --ssl-reqd pop3://pop.hamburger.test/
expect "110: CAPA offers STLS" '^STLS' in_ns timeout 5 bash -c \
    'exec 3<>/dev/tcp/127.110.0.1/110; printf "CAPA\r\nQUIT\r\n" >&3; tr -d "\r" <&3'
expect "110: openssl s_client -starttls pop3" 'Verify return code: 0' in_ns timeout 5 openssl s_client \
    -starttls pop3 -connect 127.110.0.1:110 -CAfile "$STATE/ca.pem" -verify_hostname pop.hamburger.test </dev/null

expect "993: IMAP LIST shows INBOX, Archive, Trash" 'LIST .*Trash' curl_ imaps://imap.hamburger.test/
expect "993: IMAP EXAMINE INBOX" 'EXISTS' curl_ -X 'EXAMINE INBOX' imaps://imap.hamburger.test/
expect "143: IMAP STARTTLS, LIST" 'LIST .*INBOX' curl_ --ssl-reqd imap://imap.hamburger.test/
expect "143: CAPABILITY offers STARTTLS, IDLE" 'STARTTLS.*IDLE|IDLE.*STARTTLS' in_ns timeout 5 bash -c \
    'exec 3<>/dev/tcp/127.110.0.1/143; printf "a CAPABILITY\r\nb LOGOUT\r\n" >&3; tr -d "\r" <&3'
expect "993: CAPABILITY after login has UIDPLUS MOVE" 'UIDPLUS.*MOVE|MOVE.*UIDPLUS' curl_ -X CAPABILITY imaps://imap.hamburger.test/

# delete everything in postmaster's mailbox over POP3 (exercises DELE/QUIT too);
# each curl is one session, so after its QUIT the next message is number 1 again
n=$(curl_ pop3s://127.110.0.1/ 2>/dev/null | grep -c '^[0-9]') || n=0
for ((i = 1; i <= n; i++)); do curl_ -X DELE -I "pop3s://127.110.0.1/1" >/dev/null 2>&1 || true; done
left=$(curl_ pop3s://127.110.0.1/ 2>/dev/null | grep -c '^[0-9]') || left=0
if [ "$left" = 0 ]; then ok "POP3 DELE emptied the mailbox"; else bad "POP3 DELE emptied the mailbox ($left left)"; fi
rm -f "$STATE"/sink/* 2>/dev/null || true

[ "$failures" = 0 ] || die "$failures self-test(s) failed; logs in $LOGS"
say "self-test passed"
