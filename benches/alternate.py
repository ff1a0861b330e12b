#!/usr/bin/env python3
"""Times commands alternately, run by run, and prints each one's ratio to the first.

hyperfine runs all of one command's runs before the next command's, so a change in the load
of a shared machine biases its ratios; here run k of every command happens before run k+1 of
any, and the ratio is taken per round (same moment, same load), then the median of those.

usage: alternate.py [--runs N] [--cpus LIST] [--setup CMD] [--label TEXT] -- NAME=CMD NAME=CMD...

  --runs N      rounds (default 7, after one untimed warm-up round)
  --cpus LIST   pin every run with `taskset -c LIST` (e.g. 0 for one CPU, 0,1 for two)
  --setup CMD   a shell command run before each timed command, untimed (fresh directories)
  --label TEXT  a prefix for the printed rows
  --count N     each run handles N items (messages, queries): also print N / median wall time

A command without shell syntax is executed directly, any other by `sh -c` (whose own start-up
is then part of its time); stdout goes to /dev/null. CPUs are pinned with sched_setaffinity
in this process, which every command inherits, rather than with an extra `taskset` exec. Prints per command: median wall time,
median CPU time (user+system, of the whole process tree), and the median per-round ratio of
the first command's wall time to this one's ("x faster" when above 1), same for CPU.
"""

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time


# Characters that need a shell (a "=" only matters at the start of a word, as in VAR=x cmd).
SHELL_SYNTAX = set("|&;<>()$`\\\"'*?[]{}\n")


def run(cmd):
    argv = ["sh", "-c", cmd] if SHELL_SYNTAX & set(cmd) else shlex.split(cmd)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"alternate.py: exit status {status >> 8} from: {cmd}")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cpus")
    parser.add_argument("--setup")
    parser.add_argument("--label", default="")
    parser.add_argument("--count", type=int)
    parser.add_argument("commands", nargs="+")
    args = parser.parse_args()
    named = [c.split("=", 1) for c in args.commands]
    if args.cpus:
        cpus = set()
        for part in args.cpus.split(","):
            low, _, high = part.partition("-")
            cpus.update(range(int(low), int(high or low) + 1))
        os.sched_setaffinity(0, cpus)
    times = {name: [] for name, _ in named}
    for round_ in range(args.runs + 1):
        for name, cmd in named:
            if args.setup:
                subprocess.run(["sh", "-c", args.setup], check=True)
            measured = run(cmd)
            if round_ > 0:
                times[name].append(measured)
    first = named[0][0]
    where = f"taskset -c {args.cpus}" if args.cpus else "all CPUs"
    for name, _ in named:
        walls = [w for w, _ in times[name]]
        cpus = [c for _, c in times[name]]
        wall_ratio = statistics.median(w / b for (w, _), (b, _) in zip(times[name], times[first]))
        cpu_ratio = statistics.median(c / b for (_, c), (_, b) in zip(times[name], times[first]) if b > 0)
        print(
            f"{args.label}{name:14} {where:14} wall {statistics.median(walls) * 1000:9.1f} ms"
            f"  cpu {statistics.median(cpus) * 1000:9.1f} ms"
            + (f"  {args.count / statistics.median(walls):9.0f}/s" if args.count else "")
            + ("" if name == first else f"   {first} is {wall_ratio:5.2f}x faster (wall), {cpu_ratio:5.2f}x (cpu)")
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
