#!/usr/bin/env python3
"""Paired comparison of licentiad builds on durable activations and status.

Starts one server per build, each on its own database, then round after
round measures each build's no-op rate, activation rate and status rate
back to back, alternating which build goes first, and reads every thread's
CPU time from /proc around each measurement. Prints each round's
activation/no-op and status/no-op ratios and, per build, the median ratios
and the median CPU µs per request of each of licentiad's threads (user and
system time apart) and of wrk.

On a shared machine the rates drift between runs by more than most changes
move them; measuring the builds in the same minutes, in alternating order,
and comparing the CPU each thread spends per request (which depends little
on the neighbours) is what makes two builds comparable. A thread's time
shows where a change moved work: off the single writer, say, onto the
network threads.

Usage: bench/paired.py [--rounds 6] [--seconds 5] [--connections 64]
                       [--postgres postgresql://user@host:port]
                       NAME=PATH_TO_LICENTIAD[,ARG...] NAME=PATH... ...

A build may be the same program with other flags: ARGs after the path,
comma-separated, are added to its command line (on=build/licentiad
off=build/licentiad,--sqlite-wal-buffer,false compares an option).

Each build runs on a SQLite database of its own, or with --postgres on a
database of its own in that cluster (left there; the cluster is meant to be
a throwaway one, as scripts/bench.sh makes).
"""
import argparse
import collections
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

ACTIVATE_SCRIPT = os.path.join(run.ROOT, "bench", "activate.lua")
STATUS_SCRIPT = os.path.join(run.ROOT, "bench", "status.lua")


def thread_cpu(pid):
    """CPU seconds so far per thread kind of process `pid`, user and system
    apart: {"net.user": s, "net.sys": s, "writer.user": s, ...}. The main
    thread serves the network like the lic-net threads."""
    tick = os.sysconf("SC_CLK_TCK")
    out = collections.Counter()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            comm = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
            fields = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        kind = "net" if int(tid) == pid else comm.removeprefix("lic-")
        out[kind + ".user"] += int(fields[11]) / tick
        out[kind + ".sys"] += int(fields[12]) / tick
    return out


def measure(setup, name, path, script, args, env):
    """One load; returns (rate, {cpu row: µs per request})."""
    pid = setup.procs[0].pid
    before, wrk_before = thread_cpu(pid), run.children_cpu()
    rate, _, _, requests = run.load(setup, path, args.seconds, args.connections,
                                    script, env)
    after, wrk_after = thread_cpu(pid), run.children_cpu()
    rows = {f"{name} {k}": (after[k] - before[k]) / requests * 1e6 for k in after}
    rows[f"{name} licentiad"] = sum(after[k] - before[k] for k in after) / requests * 1e6
    rows[f"{name} wrk"] = (wrk_after - wrk_before) / requests * 1e6
    os.sync()  # the next measurement does not pay for this one's writeback
    time.sleep(0.5)
    return rate, rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--codes", type=int, default=60000)
    p.add_argument("--postgres", help="base URL of a PostgreSQL cluster "
                   "(postgresql://user@host:port): each build gets a database "
                   "of its own there instead of SQLite")
    p.add_argument("builds", nargs="+", metavar="NAME=PATH")
    args = p.parse_args()
    builds = [b.split("=", 1) for b in args.builds]
    if any(len(b) != 2 for b in builds):
        sys.exit("each build is NAME=PATH[,ARG...] to an executable licentiad")
    extra = {name: spec.split(",")[1:] for name, spec in builds}
    builds = [(name, spec.split(",")[0]) for name, spec in builds]
    if any(not os.access(path, os.X_OK) for _, path in builds):
        sys.exit("each build is NAME=PATH[,ARG...] to an executable licentiad")
    setups, works = {}, []
    try:
        for name, path in builds:
            work = tempfile.mkdtemp(prefix=f"licentia-paired-{name}-")
            works.append(work)
            database = (run.create_database(args.postgres, f"paired_{name}")
                        if args.postgres else None)
            setups[name] = run.Setup(name, work, database, codes=args.codes,
                                     licentiad=path, extra_args=extra[name])
        results = {name: collections.defaultdict(list) for name, _ in builds}
        for r in range(-1, args.rounds):  # round -1 warms each server up
            order = builds if r % 2 == 0 else builds[::-1]
            for name, _ in order:
                s = setups[name]
                env = dict(os.environ, BENCH_CODES=s.codes_path,
                           BENCH_DEVICES=s.devices_path, BENCH_RUN=f"{name}{r}")
                noop, noop_rows = measure(s, "no-op", "/v1/ping", None, args, env)
                act, act_rows = measure(s, "activation", "/v1/activate",
                                        ACTIVATE_SCRIPT, args, env)
                status, status_rows = measure(s, "status", "/v1/status",
                                              STATUS_SCRIPT, args, env)
                if r < 0:
                    continue
                ratio = act / noop
                print(f"round {r + 1}: {name:>10}  activations {act:8.0f}/s  "
                      f"status {status:8.0f}/s  no-op {noop:8.0f}/s  "
                      f"ratios {ratio:.3f} {status / noop:.3f}", flush=True)
                results[name]["ratio"].append(ratio)
                results[name]["status ratio"].append(status / noop)
                for k, v in {**noop_rows, **act_rows, **status_rows}.items():
                    results[name][k].append(v)
    finally:
        for s in setups.values():
            s.stop()
        for w in works:
            shutil.rmtree(w, ignore_errors=True)
    names = [name for name, _ in builds]
    print(f"\nmedians of {args.rounds} rounds "
          f"(CPU: µs per request)\n{'':28}" + "".join(f"{n:>12}" for n in names))
    ratios = {"ratio": "activation / no-op", "status ratio": "status / no-op"}
    keys = list(ratios) + sorted(k for k in set().union(*results.values())
                                 if k not in ratios)
    for k in keys:
        vals = [statistics.median(results[n][k]) if results[n][k] else 0.0 for n in names]
        if k in ratios:
            print(f"{ratios[k]:28}" + "".join(f"{v:12.3f}" for v in vals))
        elif max(vals) >= 0.3:
            print(f"{k:28}" + "".join(f"{v:12.2f}" for v in vals))


if __name__ == "__main__":
    main()
