#!/usr/bin/env python3
"""Licentia benchmark. For each setup (SQLite with one instance; with
--postgres also PostgreSQL with one and with two instances) one run
measures, against the same licentiad instance(s),

  * activations of new devices      (POST /v1/activate, durable, fsync'd)
  * status requests                 (POST /v1/status)
  * the no-op endpoint              (GET /v1/ping)

with wrk, interleaved, several rounds, and reports the median rates and
the median of each round's ratio to that round's no-op rate; plus the raw Ed25519 signature rate and durable
SQLite commit rate (Google Benchmark) and how many activations shared a
commit.

Beside each rate it reports the CPU time the request cost (licentiad and
wrk together, per request) and how idle the machine was meanwhile. A rate
ratio below the CPU ratio means the cores sat idle while requests waited:
for durable activations, the disk's flush and the time the hypervisor
takes to wake a halted virtual CPU, which no server-side cost explains.

Usage: bench/run.py [--rounds 5] [--seconds 8] [--connections 64]
                    [--sweep 64,128,256]
                    [--postgres postgresql://user@host:port]
scripts/bench.sh builds the binaries, starts a throwaway PostgreSQL cluster
and runs this with --postgres.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "release")
LICENTIAD = os.path.join(BUILD, "src", "server", "licentiad")
MICRO = os.path.join(BUILD, "bench", "micro_bench")


def call(url, method="GET", body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def create_database(cluster, name):
    """Creates database `name` (made a valid identifier, with this process's
    id appended) in the PostgreSQL cluster at base URL `cluster`; returns
    its URL. Left there: the cluster is meant to be a throwaway one."""
    db = re.sub(r"[^a-z0-9_]", "_", f"{name}_{os.getpid()}".lower())
    subprocess.run(["psql", f"{cluster}/postgres", "-qc", f"CREATE DATABASE {db}"],
                   check=True)
    return f"{cluster}/{db}"


def micro():
    out = subprocess.run(
        [MICRO, "--benchmark_format=json", "--benchmark_min_time=1"],
        capture_output=True, text=True, check=True).stdout
    rates = {}
    for b in json.loads(out)["benchmarks"]:
        unit = {"ns": 1e9, "us": 1e6, "ms": 1e3}[b["time_unit"]]
        rates[b["name"].split("/")[0]] = unit / b["real_time"]
    return rates


_help_texts = {}


def supports_flag(binary, flag):
    """Whether `binary --help` lists `flag`."""
    if binary not in _help_texts:
        _help_texts[binary] = subprocess.run(
            [binary, "--help"], capture_output=True, text=True).stdout
    return flag in _help_texts[binary]


class Setup:
    """One or more licentiad instances sharing a store, ready for load."""

    def __init__(self, name, work, database=None, instances=1, codes=60000,
                 licentiad=None, extra_args=()):
        self.name = name
        self.procs = []
        self.bases = []
        data = os.path.join(work, "data")
        for i in range(instances):
            port_file = os.path.join(work, f"port{i}")
            token_file = os.path.join(work, "token")
            args = [licentiad or LICENTIAD, "--listen", "127.0.0.1:0", "--data-dir", data,
                    "--port-file", port_file, "--admin-token-file", token_file,
                    "--rate-limit-ip", "0", "--rate-limit-code", "0"]
            # wrk is one address standing for many devices (builds older
            # than the per-address cap have no such flag: bench/paired.py).
            if supports_flag(licentiad or LICENTIAD,
                             "--max-connections-per-address"):
                args += ["--max-connections-per-address", "100000"]
            if database:
                args += ["--database", database]
            args += list(extra_args)
            log = open(os.path.join(work, f"licentiad{i}.log"), "w")
            self.procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT))
            for _ in range(1000):
                if os.path.exists(port_file):
                    break
                time.sleep(0.01)
            self.bases.append("http://127.0.0.1:" + open(port_file).read().strip())
        base = self.bases[0]
        token = open(os.path.join(work, "token")).read().strip()
        call(base + "/v1/admin/products", "POST",
             {"id": "bench", "name": "Bench", "versions": ["22.0"]}, token)
        self.codes_path = os.path.join(work, "codes.txt")
        with open(self.codes_path, "w") as f:
            left = codes
            while left > 0:
                n = min(left, 10000)
                r = call(base + "/v1/admin/codes", "POST",
                         {"product": "bench", "count": n, "max_devices": 1000}, token)
                for c in r["codes"]:
                    f.write(c["code"] + "\n")
                left -= n
        codes_list = open(self.codes_path).read().split()
        self.devices_path = os.path.join(work, "devices.txt")
        with open(self.devices_path, "w") as f:
            for i in range(500):
                fp = f"status-device-{i}"
                r = call(base + "/v1/activate", "POST",
                         {"code": codes_list[i], "fingerprint": fp, "app_version": "22.0"})
                f.write(json.dumps({"code": codes_list[i], "fingerprint": fp,
                                    "activation_token": r["activation_token"]}) + "\n")

    def counters(self):
        """Summed over the instances: durable commits, write transactions,
        license keys signed, signatures made."""
        names = ["licentia_store_commits_total", "licentia_store_transactions_total",
                 "licentia_license_keys_total", "licentia_key_signatures_total"]
        totals = [0] * len(names)
        for base in self.bases:
            m = urllib.request.urlopen(base + "/metrics").read().decode()
            for i, name in enumerate(names):
                totals[i] += int(re.search(rf"^{name} (\d+)", m, re.M).group(1))
        return totals

    def stop(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            p.wait(timeout=30)


def load(setup, path, seconds, connections, script, env):
    """wrk against every instance at once (connections split); summed rate."""
    per = max(1, connections // len(setup.bases))
    procs = []
    for base in setup.bases:
        cmd = ["wrk", "-t1" if len(setup.bases) > 1 else "-t2", f"-c{per}",
               f"-d{seconds}s", "--latency"]
        if script:
            cmd += ["-s", script]
        cmd.append(base + path)
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env))
    total, p50, p99 = 0.0, "", ""
    requests = 0
    for p in procs:
        out = p.communicate()[0]
        if re.search(r"Non-2xx or 3xx responses: (\d+)", out) or "Socket errors" in out:
            sys.exit(f"wrk saw failures against {path}:\n{out}")
        total += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        requests += int(re.search(r"(\d+) requests in", out).group(1))
        p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
        p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    return total, p50, p99, requests


def process_cpu(pids):
    """CPU seconds (user + system) used so far by the processes `pids`."""
    ticks = 0
    for pid in pids:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def children_cpu():
    """CPU seconds used by finished child processes (wrk) so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def machine_times():
    """(idle, total) jiffies of all CPUs, from /proc/stat."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return fields[3] + fields[4], sum(fields[:8])


ENDPOINTS = [("noop", "/v1/ping", None),
             ("activate", "/v1/activate", "activate.lua"),
             ("status", "/v1/status", "status.lua")]


def run_setup(setup, args, here, connections=None, only=None):
    """Medians of the rates, and of each round's ratios to that round's
    no-op: the machine's speed drifts over seconds (it is shared), and a
    ratio of measurements taken next to each other cancels most of it.
    `only` limits the measurements to these endpoint names (the no-op is
    always measured)."""
    connections = connections or args.connections
    endpoints = [e for e in ENDPOINTS
                 if only is None or e[0] == "noop" or e[0] in only]
    results = {e[0]: [] for e in endpoints}
    cpu = {e[0]: [] for e in endpoints}  # µs per request
    idle = {e[0]: [] for e in endpoints}  # fraction
    pids = [p.pid for p in setup.procs]
    latency = {}
    for rnd in range(args.rounds):
        env = dict(os.environ, BENCH_CODES=setup.codes_path,
                   BENCH_DEVICES=setup.devices_path,
                   BENCH_RUN=f"{setup.name}-{connections}-{rnd}")
        for name, path, script in endpoints:
            if script:
                script = os.path.join(here, script)
            cpu0, wrk0, (idle0, all0) = process_cpu(pids), children_cpu(), machine_times()
            rate, p50, p99, requests = load(setup, path, args.seconds,
                                            connections, script, env)
            idle1, all1 = machine_times()
            spent = process_cpu(pids) - cpu0 + children_cpu() - wrk0
            cpu[name].append(spent / max(requests, 1) * 1e6)
            idle[name].append((idle1 - idle0) / max(all1 - all0, 1))
            # Let the kernel write back what this measurement dirtied (the
            # activations write tens of MB/s) before the next one starts, so
            # no measurement pays for the previous one's writeback.
            os.sync()
            time.sleep(1)
            results[name].append(rate)
            latency[name] = (p50, p99)
            print(f"{setup.name}, c{connections}: round {rnd + 1}: {name:9s} {rate:10.0f} req/s  "
                  f"p50 {p50}  p99 {p99}  cpu {cpu[name][-1]:.1f} us/req  "
                  f"idle {idle[name][-1]:.0%}", flush=True)
    ratios = {k: [r / n for r, n in zip(v, results["noop"])]
              for k, v in results.items()}
    # The no-op's CPU per request over this one's: the rate ratio the
    # request's cost alone would allow on fully busy cores.
    cpu_ratios = {k: [n / c for c, n in zip(v, cpu["noop"])] for k, v in cpu.items()}
    return ({k: statistics.median(v) for k, v in results.items()},
            {k: (statistics.median(v), min(v), max(v)) for k, v in ratios.items()},
            latency,
            {k: (statistics.median(cpu[k]), statistics.median(cpu_ratios[k]),
                 statistics.median(idle[k])) for k in cpu})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--codes", type=int, default=60000)
    ap.add_argument("--postgres", help="base URL of a PostgreSQL cluster "
                    "(postgresql://user@host:port); adds runs on it with one "
                    "and with two instances")
    ap.add_argument("--markdown", help="also write the tables to this file")
    ap.add_argument("--sweep", help="comma-separated connection counts: "
                    "also measure no-op and activation rates at each, on "
                    "SQLite (how durable activations scale with concurrency)")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))

    plans = [("sqlite, 1 instance", None, 1)]
    if args.postgres:
        plans += [("postgres, 1 instance", "pg1", 1), ("postgres, 2 instances", "pg2", 2)]
    tables = []
    for name, db, instances in plans:
        work = tempfile.mkdtemp(prefix="licentia-bench-")
        database = create_database(args.postgres, f"bench_{db}") if db else None
        setup = Setup(name, work, database, instances, args.codes)
        try:
            med, ratios, latency, cpu = run_setup(setup, args, here)
            commits, txns, keys, signatures = setup.counters()
            if args.sweep and not db:
                sweep = [(c,) + run_setup(setup, args, here, c, ["activate"])
                         for c in map(int, args.sweep.split(","))]
        finally:
            setup.stop()
        shutil.rmtree(work, ignore_errors=True)
        noop = med["noop"]
        tables.append((name, med, ratios, latency, cpu, commits, txns, keys, signatures))

    raw = micro()
    lines = [
        f"| setup | measurement | median of {args.rounds} | ratio to no-op: median (min–max) of the rounds | p50 / p99 (last round) | CPU per request, licentiad + wrk (ratio to no-op) | machine idle |",
        "|---|---|---:|---:|---|---:|---:|",
    ]
    for name, med, ratios, latency, cpu, commits, txns, keys, signatures in tables:
        for key, label in [("noop", "no-op `GET /v1/ping`"),
                           ("activate", "activation of a new device (durable)"),
                           ("status", "status")]:
            r = ratios[key]
            lines.append(f"| {name} | {label} | {med[key]:,.0f} req/s | "
                         f"**{r[0]:.2f}** ({r[1]:.2f}–{r[2]:.2f}) | "
                         f"{latency[key][0]} / {latency[key][1]} | "
                         f"{cpu[key][0]:.1f} µs ({cpu[key][1]:.2f}) | {cpu[key][2]:.0%} |")
        lines.append(f"| {name} | write transactions per durable commit | "
                     f"{txns / max(commits, 1):.1f} | | {txns} in {commits} commits | | |")
        lines.append(f"| {name} | license keys per Ed25519 signature | "
                     f"{keys / max(signatures, 1):.1f} | | {keys} keys, {signatures} signatures | | |")
    noop = tables[0][1]["noop"]
    batch_keys = raw["BM_IssueLicenseKeyBatch"] * 16  # the rate is of batches
    lines += [
        f"| raw | Ed25519 signatures (1 core) | {raw['BM_Ed25519Sign']:,.0f} /s | {raw['BM_Ed25519Sign'] / noop:.2f} | | | |",
        f"| raw | license key issue, one signature each (format 1, 1 core) | {raw['BM_IssueLicenseKey']:,.0f} /s | {raw['BM_IssueLicenseKey'] / noop:.2f} | | | |",
        f"| raw | license key issue in batches of 16 (format 2, 1 core) | {batch_keys:,.0f} /s | {batch_keys / noop:.2f} | | | |",
        f"| raw | durable SQLite commits (fsync each) | {raw['BM_SqliteDurableCommit']:,.0f} /s | {raw['BM_SqliteDurableCommit'] / noop:.2f} | | | |",
    ]
    if args.sweep:
        lines += [
            "",
            f"Concurrency sweep, SQLite ({args.rounds} interleaved rounds at each count):",
            "",
            "| connections | no-op | activations (durable) | ratio: median (min–max) | CPU ratio | idle during activations | activation p50 / p99 (last round) |",
            "|---:|---:|---:|---:|---:|---:|---|",
        ]
        for c, med, ratios, latency, cpu in sweep:
            r = ratios["activate"]
            lines.append(
                f"| {c} | {med['noop']:,.0f} req/s | {med['activate']:,.0f} req/s | "
                f"**{r[0]:.2f}** ({r[1]:.2f}–{r[2]:.2f}) | {cpu['activate'][1]:.2f} | "
                f"{cpu['activate'][2]:.0%} | {latency['activate'][0]} / {latency['activate'][1]} |")
    table = "\n".join(lines)
    print()
    print(f"wrk -c{args.connections} -d{args.seconds}s, {args.rounds} rounds interleaved; "
          "raw ratios are to the SQLite setup's no-op rate")
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
