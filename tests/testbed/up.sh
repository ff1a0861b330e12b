#!/usr/bin/env bash
# Start the mailkit test bed: a network namespace "mailkit" holding a fake DNS
# hierarchy (knot, nsd, bind9, unbound), Postfix and Dovecot, all on loopback
# addresses inside the namespace. See tests/testbed/README.md for the contract.
#
# Idempotent: when the bed is already up (same sources, every daemon answering)
# this exits 0 at once; otherwise it tears down what is left and starts afresh
# with an empty state dir. Needs root. Set MAILKIT_TESTBED_DIR to move the state
# dir (default /tmp/mailkit-testbed); every path on the way must be
# world-searchable, because the daemons drop privileges.
set -euo pipefail
set +m # no job control: `setsid` below must exec, not fork, so $! is the daemon

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/testbed/lib.sh
. "$HERE/lib.sh"
need_root

# The Debian packages (daemons, peers, corpora): one list for every test script.
# shellcheck source=tests/packages.sh
. "$HERE/../packages.sh"

USERS=(alice bob carol postmaster box1 box2 box3 box4 box5 box6 box7 box8)
password_of() { if [ "$1" = alice ]; then echo alice-smtp-pw; else echo "$1-pop-pw"; fi; }

ensure_vmail() {
    getent group vmail >/dev/null || groupadd --system vmail
    getent passwd vmail >/dev/null ||
        useradd --system --gid vmail --home-dir /nonexistent --no-create-home \
            --shell /usr/sbin/nologin --comment "mailkit testbed mail owner" vmail
    VMAIL_UID=$(id -u vmail)
    VMAIL_GID=$(id -g vmail)
}

# ---------------------------------------------------------------- probes

# dns_ok SERVER NAME TYPE: the server gives a non-empty answer
dns_ok() {
    local out
    out=$(in_ns dig +time=1 +tries=1 +short "@$1" "$2" "$3" 2>/dev/null) && [ -n "$out" ]
}

# banner_ok HOST PORT PREFIX QUIT: the first line the server sends starts with PREFIX
# shellcheck disable=SC2016 # the inner bash expands them
banner_ok() {
    in_ns timeout 3 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        IFS= read -r -t 2 line <&3 || exit 1
        printf "%s\r\n" "$4" >&3
        [[ $line == "$3"* ]]' _ "$@" 2>/dev/null
}

# tcp_ok HOST PORT: something accepts connections
# shellcheck disable=SC2016
tcp_ok() { in_ns timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$@" 2>/dev/null; }

probe() {
    case $1 in
    knot) dns_ok 127.53.0.1 . SOA ;;
    nsd) dns_ok 127.53.0.2 test. SOA ;;
    bind)
        dns_ok 127.53.0.3 hamburger.test. SOA && dns_ok 127.53.0.3 crepes.test. SOA &&
            dns_ok 127.53.0.3 127.in-addr.arpa. SOA && dns_ok 127.53.0.3 n9999.bench.test. A
        ;;
    unbound) dns_ok 127.53.0.4 hamburger.test. MX && dns_ok 127.53.0.4 1.0.25.127.in-addr.arpa. PTR ;;
    dovecot)
        banner_ok 127.110.0.1 110 +OK QUIT && tcp_ok 127.110.0.1 995 &&
            banner_ok 127.110.0.1 143 '* OK' 'a LOGOUT' && tcp_ok 127.110.0.1 993 &&
            [ -S "$STATE/dovecot/run/auth-postfix" ]
        ;;
    postfix)
        banner_ok 127.25.0.1 25 220 QUIT && banner_ok 127.25.0.1 587 220 QUIT &&
            tcp_ok 127.25.0.1 465
        ;;
    sink) banner_ok 127.25.0.3 25 220 QUIT ;;
    esac
}

fingerprint() {
    cat "$HERE"/*.sh "$HERE"/conf/* "$HERE"/zones/* | sha256sum | cut -d' ' -f1
}

already_up() {
    local d
    ns_exists && [ -f "/etc/netns/$NETNS/resolv.conf" ] && [ -f "$STATE/env" ] || return 1
    [ "$(cat "$STATE/.fingerprint" 2>/dev/null)" = "$(fingerprint)" ] || return 1
    for d in "${DAEMONS[@]}"; do pid_of "$d" >/dev/null || return 1; done
    for d in "${DAEMONS[@]}"; do probe "$d" || return 1; done
}

# ---------------------------------------------------------------- setup

prepare_state() {
    [[ $STATE == /* ]] || die "MAILKIT_TESTBED_DIR must be an absolute path: $STATE"
    [[ $STATE =~ ^[A-Za-z0-9/._-]+$ ]] || die "state dir path must be plain (no spaces or shell characters): $STATE"
    if [ -d "$STATE" ] && [ ! -e "$STATE/.mailkit-testbed" ] && [ -n "$(ls -A "$STATE")" ]; then
        die "$STATE exists, is not empty and is not a testbed state dir; refusing to wipe it"
    fi
    mkdir -p "$STATE"
    find "$STATE" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
    chmod 755 "$STATE"
    touch "$STATE/.mailkit-testbed"
    runuser -u vmail -- test -x "$STATE" ||
        die "$STATE is not reachable by unprivileged users (a parent directory is not world-searchable)"
    mkdir -p "$PIDS" "$LOGS" "$STATE/tls" "$STATE/zones" "$STATE/knot/db" "$STATE/nsd" \
        "$STATE/bind" "$STATE/unbound" "$STATE/dovecot/run" "$STATE/dovecot/state" \
        "$STATE/postfix" "$STATE/mail" "$STATE/sink"
    chmod 755 "$LOGS"
    chown postfix "$STATE/sink"
}

setup_netns() {
    ns_exists || ip netns add "$NETNS"
    in_ns ip link set lo up
    local a
    for a in 127.53.0.1 127.53.0.2 127.53.0.3 127.53.0.4 127.53.0.9 \
        127.25.0.1 127.25.0.2 127.25.0.3 127.110.0.1; do
        in_ns ip addr replace "$a/32" dev lo
    done
    mkdir -p "/etc/netns/$NETNS"
    printf 'nameserver 127.53.0.4\n' >"/etc/netns/$NETNS/resolv.conf"
}

make_tls() {
    local t=$STATE/tls
    # ECDSA P-256: generated in milliseconds, and every peer we test against speaks it
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -sha256 \
        -keyout "$t/ca.key" -out "$STATE/ca.pem" \
        -subj "/O=mailkit testbed/CN=mailkit testbed CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    cp "$STATE/ca.pem" "$t/ca.pem"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
        -keyout "$t/server.key" -out "$t/server.csr" \
        -subj "/O=mailkit testbed/CN=mx1.hamburger.test" 2>/dev/null
    cat >"$t/server.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = DNS:mx1.hamburger.test, DNS:mx3.hamburger.test, DNS:mail.hamburger.test, DNS:pop.hamburger.test, DNS:imap.hamburger.test, DNS:www.hamburger.test, DNS:implicit.hamburger.test, DNS:alias.hamburger.test, DNS:localhost, IP:127.25.0.1, IP:127.110.0.1, IP:127.0.0.1
EOF
    openssl x509 -req -in "$t/server.csr" -CA "$STATE/ca.pem" -CAkey "$t/ca.key" \
        -CAcreateserial -days 825 -sha256 -extfile "$t/server.ext" -out "$t/server.pem" 2>/dev/null
    cat "$t/server.pem" "$STATE/ca.pem" >"$t/server-chain.pem"
    chmod 600 "$t/ca.key" "$t/server.key"
    chmod 644 "$STATE/ca.pem" "$t"/*.pem
    TLSA_311=$(openssl x509 -in "$t/server.pem" -noout -pubkey |
        openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
}

# render SRC DEST: copy a template, filling in @STATE@ and friends
render() {
    sed -e "s|@STATE@|$STATE|g" -e "s|@VMAIL_UID@|$VMAIL_UID|g" \
        -e "s|@VMAIL_GID@|$VMAIL_GID|g" -e "s|@TLSA_311@|$TLSA_311|g" "$1" >"$2"
}

write_dns() {
    local z=$STATE/zones i
    for i in root.zone test.zone hamburger.test.zone crepes.test.zone 127.in-addr.arpa.zone; do
        render "$HERE/zones/$i" "$z/$i"
    done
    # 20 TXT records of 200 bytes each: ~4 KB, more than any UDP answer may carry
    for i in $(seq -w 1 20); do
        printf 'big IN TXT "big-%s-%s"\n' "$i" "$(printf '%*s' 193 '' | tr ' ' x)"
    done >>"$z/hamburger.test.zone"
    # the benchmark zone: n0..n9999.bench.test, addresses that nothing uses
    {
        # shellcheck disable=SC2016 # zone file syntax, not shell
        printf '$ORIGIN bench.test.\n$TTL 300\n'
        printf '@ IN SOA ns1.bench.test. hostmaster.bench.test. 2024010101 3600 600 86400 60\n'
        printf '@ IN NS ns1\nns1 IN A 127.53.0.3\n'
        awk 'BEGIN { for (i = 0; i < 10000; i++) printf "n%d IN A 127.60.%d.%d\n", i, int(i / 256), i % 256 }'
    } >"$z/bench.test.zone"
    printf '.                      3600000 NS a.root-servers.test.\na.root-servers.test.   3600000 A  127.53.0.1\n' \
        >"$STATE/root.hints"

    render "$HERE/conf/knot.conf" "$STATE/knot/knot.conf"
    render "$HERE/conf/nsd.conf" "$STATE/nsd/nsd.conf"
    render "$HERE/conf/named.conf" "$STATE/bind/named.conf"
    render "$HERE/conf/unbound.conf" "$STATE/unbound/unbound.conf"
    chmod 644 "$z"/* "$STATE/root.hints"
}

write_mail() {
    local u
    for u in "${USERS[@]}"; do
        mkdir -p "$STATE/mail/$u/Maildir/new" "$STATE/mail/$u/Maildir/cur" "$STATE/mail/$u/Maildir/tmp"
    done
    chown -R vmail:vmail "$STATE/mail"

    # Dovecot
    render "$HERE/conf/dovecot.conf" "$STATE/dovecot/dovecot.conf"
    for u in "${USERS[@]}"; do printf '%s:{PLAIN}%s\n' "$u" "$(password_of "$u")"; done \
        >"$STATE/dovecot/users"
    chown root:dovecot "$STATE/dovecot/users"
    chmod 640 "$STATE/dovecot/users"

    # Postfix: own config dir, own queue
    local pf=$STATE/postfix
    render "$HERE/conf/postfix-main.cf" "$pf/main.cf"
    render "$HERE/conf/postfix-master.cf" "$pf/master.cf"
    {
        for u in "${USERS[@]}"; do printf '%s@hamburger.test %s/Maildir/\n' "$u" "$u"; done
        printf 'alice@crepes.test alice/Maildir/\npostmaster@crepes.test postmaster/Maildir/\n'
    } >"$pf/vmailbox"
    # the queue layout of /etc/postfix/postfix-files (what `postfix set-permissions`
    # would make, in a fraction of the time)
    local q=$pf/queue d
    install -d -o root -m 755 "$q" "$q/pid"
    install -d -o postfix -m 700 "$pf/data"
    for d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
        install -d -o postfix -m 700 "$q/$d"
    done
    install -d -o postfix -g postdrop -m 730 "$q/maildrop"
    install -d -o postfix -g postdrop -m 710 "$q/public"
    # Postfix waits, re-reading main.cf every 0.3 s, until its files are not
    # younger than a second or so: backdate them instead of sleeping
    touch -d '-1 minute' "$pf/main.cf" "$pf/master.cf" "$pf/vmailbox"
}

# ---------------------------------------------------------------- daemons

# check NAME CMD...: run a daemon's own config/zone checker; fail with its output
check() {
    local name=$1 out
    shift
    out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; die "$name: configuration check failed: $*"; }
}

# Catch a broken config or zone in milliseconds instead of waiting for a
# daemon that never answers.
check_configs() {
    check knot knotc -c "$STATE/knot/knot.conf" conf-check
    check knot knotc -c "$STATE/knot/knot.conf" zone-check .
    check nsd nsd-checkconf "$STATE/nsd/nsd.conf"
    check nsd nsd-checkzone test. "$STATE/zones/test.zone"
    check bind named-checkconf -z "$STATE/bind/named.conf"
    check unbound unbound-checkconf "$STATE/unbound/unbound.conf"
    check dovecot doveconf -c "$STATE/dovecot/dovecot.conf" -n
    check postfix postconf -c "$STATE/postfix" -n
}

# start NAME LOG CMD...: run CMD in the namespace, in its own session, in the
# background, and record its pid. ip netns exec and setsid both exec, so $! is
# the daemon itself. Descriptor 9 (tests/run.sh's lock on the bed) is closed for
# the daemon: inherited, it would keep the lock held for as long as a bed left up
# with MAILKIT_TESTBED_KEEP=1 runs, and every other run would wait forever.
start() {
    local name=$1 log=$2
    shift 2
    setsid ip netns exec "$NETNS" "$@" </dev/null >>"$log" 2>&1 9>&- &
    echo $! >"$PIDS/$name.pid"
}

# wait_for NAME LOG: until the daemon answers; fail loudly if it dies or hangs
wait_for() {
    local name=$1 log=$2 i pid
    pid=$(cat "$PIDS/$name.pid")
    for ((i = 0; i < 300; i++)); do
        # Not pid_of: right after the fork the child may not have exec'd the daemon yet, so
        # its command line does not name $STATE; here the pid is known to be ours.
        if [ ! -d "/proc/$pid" ] ||
            [ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" = Z ]; then
            say "$name died while starting; last lines of $log:"
            tail -n 30 "$log" >&2 || true
            die "$name did not start"
        fi
        probe "$name" && return 0
        sleep 0.1
    done
    say "$name does not answer after 30 s; last lines of $log:"
    tail -n 30 "$log" >&2 || true
    die "$name did not come up"
}

start_all() {
    start knot "$LOGS/knot.log" knotd -c "$STATE/knot/knot.conf"
    start nsd "$LOGS/nsd.stderr.log" nsd -d -c "$STATE/nsd/nsd.conf"
    start bind "$LOGS/named.log" named -g -4 -c "$STATE/bind/named.conf"
    start dovecot "$LOGS/dovecot.stderr.log" dovecot -F -c "$STATE/dovecot/dovecot.conf"
    start sink "$LOGS/sink.log" smtp-sink -u postfix -h sink.hamburger.test \
        -d "$STATE/sink/" 127.25.0.3:25 64
    wait_for knot "$LOGS/knot.log"
    wait_for nsd "$LOGS/nsd.log"
    wait_for bind "$LOGS/named.log"
    # unbound primes from the root at start, so the authoritative side comes first
    start unbound "$LOGS/unbound.log" unbound -d -c "$STATE/unbound/unbound.conf"
    wait_for unbound "$LOGS/unbound.log"
    # smtpd resolves client names through unbound, and authenticates via dovecot
    wait_for dovecot "$LOGS/dovecot.log"
    start postfix "$LOGS/postfix.stderr.log" /usr/lib/postfix/sbin/master -d -c "$STATE/postfix"
    wait_for postfix "$LOGS/postfix.log"
    wait_for sink "$LOGS/sink.log"
}

write_env() {
    local u U
    {
        cat <<EOF
NETNS=$NETNS
STATE=$STATE
CA_FILE=$STATE/ca.pem
CA_KEY=$STATE/tls/ca.key
SERVER_CERT=$STATE/tls/server.pem
SERVER_KEY=$STATE/tls/server.key
TLSA_311=$TLSA_311
ROOT_HINTS=$STATE/root.hints
DNS_ROOT=127.53.0.1
DNS_TLD=127.53.0.2
DNS_AUTH=127.53.0.3
DNS_RESOLVER=127.53.0.4
DNS_LAME=127.53.0.9
SMTP_HOST=127.25.0.1
SMTP_PORT=25
SUBMISSION_PORT=587
SMTPS_PORT=465
SMTP_DEAD=127.25.0.2
SMTP_SINK=127.25.0.3
SINK_DIR=$STATE/sink
POP3_HOST=127.110.0.1
POP3_PORT=110
POP3S_PORT=995
IMAP_HOST=127.110.0.1
IMAP_PORT=143
IMAPS_PORT=993
MAIL_DOMAIN=hamburger.test
MAIL_DIR=$STATE/mail
MAIL_UID=$VMAIL_UID
MAIL_GID=$VMAIL_GID
DOVECOT_CONF=$STATE/dovecot/dovecot.conf
POSTFIX_CONFIG_DIR=$STATE/postfix
LOG_DIR=$LOGS
BENCH_ZONE=bench.test
BENCH_RECORDS=10000
EOF
        for u in "${USERS[@]}"; do
            U=${u^^}
            printf 'MAILDIR_%s=%s\n%s_USER=%s\n%s_PASS=%s\n%s_ADDR=%s@hamburger.test\n' \
                "$U" "$STATE/mail/$u/Maildir" "$U" "$u" "$U" "$(password_of "$u")" "$U" "$u"
        done
    } >"$STATE/env.tmp"
    mv "$STATE/env.tmp" "$STATE/env"
}

# ---------------------------------------------------------------- main

install_test_packages || die "could not install the test packages"
ensure_vmail
if already_up; then
    say "already up ($STATE/env)"
    exit 0
fi
# something is half up, stale or from older sources: clean slate
if ns_exists || compgen -G "$PIDS/*.pid" >/dev/null; then
    "$HERE/down.sh"
fi
started=$(date +%s.%N)
prepare_state
setup_netns
make_tls
write_dns
write_mail
check_configs
start_all
write_env
fingerprint >"$STATE/.fingerprint"
say "up in $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; environment in $STATE/env"
