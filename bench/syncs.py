#!/usr/bin/env python3
"""The syncs licentiad makes under durable activations, per thread and file.

Starts each build on a SQLite database of its own, drives durable
activations with wrk (as bench/run.py does), and records with `perf` the
kernel's `fsync`/`fdatasync` entries and exits (ext4 tracepoints) and the
block requests issued meanwhile. For each build, thread and file (the WAL
or the database) it prints how many syncs there were per second, their
median and 90th-percentile duration, the time spent in them per second and
how many of them issued more than 20 block requests (a sync that writes
back scattered pages).

The WAL sync is the wait in every activation's path (the writer answers a
batch only after it), so what else makes the writer sync, and what makes a
sync slow, shows here when the rates cannot show it.

Usage: bench/syncs.py [--rounds 2] [--seconds 4] NAME=PATH_TO_LICENTIAD ...

Needs `perf` with access to tracepoints (root, or perf_event_paranoid -1)
and a data directory on ext4 (the tracepoints are ext4's).
"""
import argparse
import collections
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

ACTIVATE_SCRIPT = os.path.join(run.ROOT, "bench", "activate.lua")
EVENTS = "block:block_rq_issue,ext4:ext4_sync_file_enter,ext4:ext4_sync_file_exit"
LINE = re.compile(r"\s*(\S+)\s+(\d+)\s+([\d.]+):\s+(\S+):\s+(.*)")


def record(licentiad, seconds, tag, work):
    """Drives activations against a fresh server and records the syncs made
    during `seconds` of it; returns (activations/s, perf script text, the
    database's inode number)."""
    setup = run.Setup(tag, work, licentiad=licentiad)
    try:
        db = os.path.join(work, "data", "licentia.db")
        env = dict(os.environ, BENCH_CODES=setup.codes_path, BENCH_RUN=tag)
        wrk = subprocess.Popen(
            ["wrk", "-t2", "-c64", f"-d{seconds + 3}s", "-s", ACTIVATE_SCRIPT,
             setup.bases[0] + "/v1/activate"],
            env=env, stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)  # past the start-up burst
        data = os.path.join(work, "perf.data")
        subprocess.run(["perf", "record", "-q", "-o", data, "-a", "-e", EVENTS,
                        "--", "sleep", str(seconds)], check=True)
        out = wrk.communicate()[0]
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        text = subprocess.run(["perf", "script", "-i", data, "-F",
                               "comm,tid,time,event,trace"],
                              capture_output=True, text=True, check=True).stdout
        return rate, text, os.stat(db).st_ino
    finally:
        setup.stop()


def syncs_of(text, db_inode):
    """{(thread name, "wal" or "db"): [(µs, block requests), ...]}"""
    open_syncs, out = {}, collections.defaultdict(list)
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        comm, tid, t, event, rest = m.groups()
        t = float(t)
        if event.endswith("sync_file_enter"):
            ino = int(re.search(r"ino (\d+)", rest).group(1))
            open_syncs[tid] = [t, 0, comm, "db" if ino == db_inode else "wal"]
        elif event.endswith("rq_issue") and tid in open_syncs:
            open_syncs[tid][1] += 1
        elif event.endswith("sync_file_exit") and tid in open_syncs:
            t0, requests, comm, kind = open_syncs.pop(tid)
            out[(comm, kind)].append(((t - t0) * 1e6, requests))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--seconds", type=int, default=4)
    p.add_argument("builds", nargs="+", metavar="NAME=PATH")
    args = p.parse_args()
    builds = [b.split("=", 1) for b in args.builds]
    if any(len(b) != 2 or not os.access(b[1], os.X_OK) for b in builds):
        sys.exit("each build is NAME=PATH to an executable licentiad")
    if shutil.which("perf") is None:
        sys.exit("bench/syncs.py needs perf")
    rows = collections.defaultdict(list)  # (build, thread, file) -> [syncs]
    rates = collections.defaultdict(list)
    for r in range(args.rounds):
        for name, path in builds if r % 2 == 0 else builds[::-1]:
            work = tempfile.mkdtemp(prefix=f"licentia-syncs-{name}-")
            try:
                rate, text, db_inode = record(path, args.seconds, f"{name}{r}", work)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            rates[name].append(rate)
            for key, syncs in syncs_of(text, db_inode).items():
                rows[(name,) + key].extend(syncs)
            print(f"round {r + 1}: {name}: {rate:.0f} activations/s", flush=True)
    seconds = args.rounds * args.seconds
    print(f"\n{'build':>10} {'thread':16} {'file':4} {'syncs/s':>8} {'median µs':>10} "
          f"{'p90 µs':>8} {'ms/s in sync':>13} {'>20 requests/s':>15}")
    for (name, thread, kind), syncs in sorted(rows.items()):
        d = sorted(s[0] for s in syncs)
        big = sum(1 for s in syncs if s[1] > 20)
        print(f"{name:>10} {thread:16} {kind:4} {len(d) / seconds:8.1f} "
              f"{statistics.median(d):10.0f} {d[int(0.9 * (len(d) - 1))]:8.0f} "
              f"{sum(d) / seconds / 1e3:13.1f} {big / seconds:15.1f}")
    for name, _ in builds:
        print(f"{name}: median {statistics.median(rates[name]):.0f} activations/s")


if __name__ == "__main__":
    main()
