#!/usr/bin/env python3
"""Instructions per request (callgrind), for comparing builds.

On a shared machine the request rates of bench/run.py swing by ±30% and
even CPU time per request moves with the neighbours; the number of
instructions licentiad executes per request barely moves, so a change of
a few percent in the server's own work shows here first. It counts user
space only: system calls, the disk and waiting for a CPU are not in it,
so it complements bench/run.py and never replaces it.

Usage: bench/instructions.py [--licentiad PATH] [--seconds 4] [--connections 24]

Runs licentiad under valgrind (instrumentation switched on only around
each measurement) and drives the no-op, activation and status requests of
bench/run.py with wrk; prints instructions per request of each and their
ratios to the no-op. Expect each request to run ~50x slower than natively.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def totals(outdir, pid):
    """Instruction counts of the dumps made since the last reset (one per
    thread): (all threads, the store's writer thread). The writer is the
    thread whose dump has the SQLite store's batch loop in it."""
    total = writer = 0
    for path in glob.glob(os.path.join(outdir, f"cg.{pid}.*")):
        with open(path) as f:
            text = f.read()
        count = int(text.split("\ntotals:", 1)[1].split()[0])
        total += count
        if "SqliteStore::RunBatch" in text:
            writer += count
    return total, writer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--licentiad", default=run.LICENTIAD)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--connections", type=int, default=24)
    ap.add_argument("--keep", help="copy each measurement's callgrind file here")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = tempfile.mkdtemp(prefix="licentia-callgrind-")
    work = tempfile.mkdtemp(prefix="licentia-bench-")

    real_popen = subprocess.Popen

    def under_valgrind(cmd, **kw):
        if cmd and cmd[0] == args.licentiad:
            cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   "--separate-threads=yes",
                   f"--callgrind-out-file={outdir}/cg.%p"] + cmd
        return real_popen(cmd, **kw)

    run.LICENTIAD = args.licentiad
    run.subprocess.Popen = under_valgrind
    try:
        setup = run.Setup("sqlite", work, codes=2000)
    finally:
        run.subprocess.Popen = real_popen
    pid = setup.procs[0].pid
    env = dict(os.environ, BENCH_CODES=setup.codes_path,
               BENCH_DEVICES=setup.devices_path, BENCH_RUN=f"cg{time.time()}")
    per_request = {}
    try:
        for name, path, script in [
                ("noop", "/v1/ping", None),
                ("activate", "/v1/activate", os.path.join(here, "activate.lua")),
                ("status", "/v1/status", os.path.join(here, "status.lua"))]:
            for old in glob.glob(os.path.join(outdir, f"cg.{pid}.*")):
                os.remove(old)
            subprocess.run(["callgrind_control", "-z", str(pid)], check=True,
                           capture_output=True)
            subprocess.run(["callgrind_control", "-i", "on", str(pid)],
                           check=True, capture_output=True)
            requests = run.load(setup, path, args.seconds, args.connections,
                                script, env)[3]
            subprocess.run(["callgrind_control", "-i", "off", str(pid)],
                           check=True, capture_output=True)
            subprocess.run(["callgrind_control", "-d", str(pid)], check=True,
                           capture_output=True)
            total, writer = totals(outdir, pid)
            per_request[name] = total / requests
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                for dump in glob.glob(os.path.join(outdir, f"cg.{pid}.*")):
                    suffix = os.path.basename(dump).removeprefix(f"cg.{pid}")
                    shutil.copy(dump, os.path.join(args.keep,
                                                   f"callgrind.{name}{suffix}"))
            print(f"{name:9s} {requests:8.0f} requests  "
                  f"{per_request[name]:10,.0f} instructions/request  "
                  f"(store writer thread {writer / requests:8,.0f})", flush=True)
    finally:
        setup.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(outdir, ignore_errors=True)
    noop = per_request["noop"]
    print(f"no-op / activation {noop / per_request['activate']:.3f}   "
          f"no-op / status {noop / per_request['status']:.3f}")


if __name__ == "__main__":
    main()
