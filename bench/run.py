#!/usr/bin/env python3
"""Licentia benchmark: one run measures, against the same licentiad,

  * activations of new devices      (POST /v1/activate, durable, fsync'd)
  * status requests                 (POST /v1/status)
  * the no-op endpoint              (GET /v1/ping)

with wrk, interleaved, several rounds, and reports medians and the ratios
to the no-op rate; plus the raw Ed25519 signature rate and durable SQLite
commit rate (Google Benchmark) and how many activations shared a commit.

Usage: bench/run.py [--rounds 3] [--seconds 10] [--connections 64]
Needs a release build (scripts/bench.sh builds one) and wrk.
"""
import argparse
import json
import os
import re
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


def wrk(url, seconds, connections, script=None, env=None):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    if bad or errors:
        sys.exit(f"wrk saw failures against {url}:\n{out}")
    return rate, p50, p99


def micro():
    out = subprocess.run(
        [MICRO, "--benchmark_format=json", "--benchmark_min_time=1"],
        capture_output=True, text=True, check=True).stdout
    rates = {}
    for b in json.loads(out)["benchmarks"]:
        unit = {"ns": 1e9, "us": 1e6, "ms": 1e3}[b["time_unit"]]
        rates[b["name"].split("/")[0]] = unit / b["real_time"]
    return rates


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--codes", type=int, default=60000)
    ap.add_argument("--markdown", help="also write the table to this file")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="licentia-bench-")
    port_file = os.path.join(work, "port")
    token_file = os.path.join(work, "token")
    log = open(os.path.join(work, "licentiad.log"), "w")
    server = subprocess.Popen(
        [LICENTIAD, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(work, "data"),
         "--port-file", port_file, "--admin-token-file", token_file,
         "--rate-limit-ip", "0", "--rate-limit-code", "0"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(500):
            if os.path.exists(port_file):
                break
            time.sleep(0.01)
        base = "http://127.0.0.1:" + open(port_file).read().strip()
        token = open(token_file).read().strip()
        call(base + "/v1/admin/products", "POST",
             {"id": "bench", "name": "Bench", "versions": ["22.0"]}, token)
        codes_path = os.path.join(work, "codes.txt")
        with open(codes_path, "w") as f:
            left = args.codes
            while left > 0:
                n = min(left, 10000)
                r = call(base + "/v1/admin/codes", "POST",
                         {"product": "bench", "count": n, "max_devices": 1000}, token)
                for c in r["codes"]:
                    f.write(c["code"] + "\n")
                left -= n
        codes = open(codes_path).read().split()
        devices_path = os.path.join(work, "devices.txt")
        with open(devices_path, "w") as f:
            for i in range(500):
                fp = f"status-device-{i}"
                r = call(base + "/v1/activate", "POST",
                         {"code": codes[i], "fingerprint": fp, "app_version": "22.0"})
                f.write(json.dumps({"code": codes[i], "fingerprint": fp,
                                    "activation_token": r["activation_token"]}) + "\n")

        here = os.path.dirname(os.path.abspath(__file__))
        results = {"noop": [], "activate": [], "status": []}
        latency = {}
        for rnd in range(args.rounds):
            env = dict(os.environ, BENCH_CODES=codes_path, BENCH_DEVICES=devices_path,
                       BENCH_RUN=str(rnd))
            for name, path, script in [
                    ("noop", "/v1/ping", None),
                    ("activate", "/v1/activate", os.path.join(here, "activate.lua")),
                    ("status", "/v1/status", os.path.join(here, "status.lua"))]:
                rate, p50, p99 = wrk(base + path, args.seconds, args.connections, script, env)
                results[name].append(rate)
                latency[name] = (p50, p99)
                print(f"round {rnd + 1}: {name:9s} {rate:10.0f} req/s  p50 {p50}  p99 {p99}",
                      flush=True)
        metrics = urllib.request.urlopen(base + "/metrics").read().decode()
        commits = int(re.search(r"^licentia_store_commits_total (\d+)", metrics, re.M).group(1))
        txns = int(re.search(r"^licentia_store_transactions_total (\d+)", metrics, re.M).group(1))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()

    raw = micro()
    med = {k: statistics.median(v) for k, v in results.items()}
    noop = med["noop"]
    lines = [
        f"| measurement | median of {args.rounds} | ratio to no-op | p50 / p99 latency (last round) |",
        "|---|---:|---:|---|",
        f"| no-op `GET /v1/ping` | {noop:,.0f} req/s | 1.00 | {latency['noop'][0]} / {latency['noop'][1]} |",
        f"| activation of a new device (durable) | {med['activate']:,.0f} req/s | {med['activate'] / noop:.2f} | {latency['activate'][0]} / {latency['activate'][1]} |",
        f"| status | {med['status']:,.0f} req/s | {med['status'] / noop:.2f} | {latency['status'][0]} / {latency['status'][1]} |",
        f"| raw Ed25519 signatures (1 core) | {raw['BM_Ed25519Sign']:,.0f} /s | {raw['BM_Ed25519Sign'] / noop:.2f} | |",
        f"| raw license key issue (1 core) | {raw['BM_IssueLicenseKey']:,.0f} /s | {raw['BM_IssueLicenseKey'] / noop:.2f} | |",
        f"| raw durable SQLite commits (fsync each) | {raw['BM_SqliteDurableCommit']:,.0f} /s | {raw['BM_SqliteDurableCommit'] / noop:.2f} | |",
        f"| write transactions per durable commit (server, whole run) | {txns / max(commits, 1):.1f} | | {txns} transactions in {commits} commits |",
    ]
    table = "\n".join(lines)
    print()
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds interleaved")
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
