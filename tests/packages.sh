# shellcheck shell=bash
# The Debian packages the test suite needs, in one list: tests/run.sh installs
# them on a fresh machine, tests/testbed/up.sh checks them, .ci/run adds only
# the toolchain. Sourced, never executed.

TEST_PACKAGES=(
    # the test bed's daemons and plumbing
    iproute2 openssl ca-certificates util-linux
    postfix dovecot-core dovecot-pop3d dovecot-imapd knot nsd bind9 unbound
    # real clients and peers the tests drive or compare against (swaks needs
    # the Perl TLS and SASL modules, which are only its Recommends)
    bind9-dnsutils knot-dnsutils swaks libnet-ssleay-perl libio-socket-ssl-perl
    libauthen-sasl-perl msmtp mpop fetchmail isync mblaze curl hyperfine python3
    # GNU time: peak RSS of a run (parse_memory, benches/robust.sh)
    time
    # fault injection at exact system calls (queue_faults: a kill or ENOSPC mid-enqueue)
    strace
    # test corpora: MIME messages (parse_corpus) and real ham (message unit tests)
    golang-github-jhillyerd-enmime-dev golang-github-gatherstars-com-jwz-dev
)

# install_test_packages: installs whatever of TEST_PACKAGES is missing, without
# letting the packaged daemons start on the host (the test bed runs its own
# instances inside a network namespace).
install_test_packages() {
    local missing=() p
    for p in "${TEST_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    printf 'tests: installing %s\n' "${missing[*]}" >&2
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    local policy=/usr/sbin/policy-rc.d made_policy= rc=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
    fi
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    } </dev/null >&2 || rc=$?
    [ -n "$made_policy" ] && rm -f "$policy"
    if [ $rc -ne 0 ]; then
        printf 'tests: apt-get install failed (%s)\n' "$rc" >&2
        return 1
    fi
}
