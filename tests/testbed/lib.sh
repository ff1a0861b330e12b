# shellcheck shell=bash disable=SC2034
# Shared by up.sh, down.sh and selftest.sh. Sourced, never executed.

NETNS=mailkit
STATE=${MAILKIT_TESTBED_DIR:-/tmp/mailkit-testbed}
PIDS=$STATE/pids
LOGS=$STATE/log

# The daemons, in start order (down.sh stops them in reverse).
DAEMONS=(knot nsd bind unbound dovecot postfix sink)

say() { printf 'testbed: %s\n' "$*" >&2; }
die() { printf 'testbed: error: %s\n' "$*" >&2; exit 1; }

need_root() {
    [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, ports < 1024, daemons)"
}

in_ns() { ip netns exec "$NETNS" "$@"; }

ns_exists() { [ -e "/run/netns/$NETNS" ]; }

# pid_of NAME: prints the recorded pid if that process is still alive and
# still lives in our namespace (guards against a recycled pid).
pid_of() {
    local f=$PIDS/$1.pid pid
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [ -d "/proc/$pid" ] || return 1
    # a zombie is as good as gone
    [ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" != Z ] || return 1
    # every daemon we start names a file under $STATE on its command line
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$STATE/" || return 1
    printf '%s\n' "$pid"
}
