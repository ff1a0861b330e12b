#!/usr/bin/env bash
# Stop the mailkit test bed: the daemons up.sh recorded in $STATE/pids (and
# their children), then remove the namespace and /etc/netns/mailkit. The state
# dir (logs, mail) is kept for post-mortems; up.sh wipes it on the next start.
# Safe to run twice.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/testbed/lib.sh
. "$HERE/lib.sh"
need_root

# descendants PID...: every live process below the given ones
descendants() {
    ps -e -o pid=,ppid= | awk -v roots="$*" '
        BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
        { parent[$1] = $2; order[NR] = $1 }
        END {
            do {
                changed = 0
                for (i = 1; i <= NR; i++) {
                    p = order[i]
                    if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; out[p] = 1; changed = 1 }
                }
            } while (changed)
            for (p in out) print p
        }'
}

stopped=() roots=()
for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    name=${DAEMONS[i]}
    if pid=$(pid_of "$name"); then
        stopped+=("$name:$pid")
        roots+=("$pid")
    fi
done
# note the children before their parents go (they are reparented after)
children=()
[ ${#roots[@]} -eq 0 ] || mapfile -t children < <(descendants "${roots[@]}")

for entry in "${stopped[@]}"; do kill -TERM "${entry#*:}" 2>/dev/null || true; done

# give them 10 s to exit cleanly (postfix and dovecot take their children along)
for entry in "${stopped[@]}"; do
    name=${entry%%:*} pid=${entry#*:}
    for ((j = 0; j < 100; j++)); do
        pid_of "$name" >/dev/null || break
        sleep 0.1
    done
    if pid_of "$name" >/dev/null; then
        say "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
done
rm -f "$PIDS"/*.pid 2>/dev/null || true

# children that outlived their master (only if still in our namespace)
for ((j = 0; j < 30; j++)); do
    alive=()
    for c in "${children[@]}"; do
        [ -d "/proc/$c" ] && [ "$(ip netns identify "$c" 2>/dev/null)" = "$NETNS" ] && alive+=("$c")
    done
    [ ${#alive[@]} -eq 0 ] && break
    sleep 0.1
done
if [ ${#alive[@]} -gt 0 ]; then
    say "killing leftover children of the daemons: ${alive[*]}"
    kill -KILL "${alive[@]}" 2>/dev/null || true
fi

if ns_exists; then
    left=$(ip netns pids "$NETNS" 2>/dev/null | tr '\n' ' ')
    [ -z "$left" ] || say "warning: processes we did not start are still in namespace $NETNS: $left"
    ip netns delete "$NETNS"
fi
rm -rf "/etc/netns/$NETNS"
if [ ${#stopped[@]} -eq 0 ]; then say "nothing was running"; else say "stopped ${stopped[*]}"; fi
