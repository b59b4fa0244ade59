#!/usr/bin/env python3
"""Continuity, measured: how long devices go without a valid license when
their licenses end, with a reserve code waiting.

Runs bench/continuity_driver (N devices on the real SDK, one simulated
clock) against real licentiad instances on their test clocks:

  * SQLite, one instance: the server is stopped (SIGTERM) at day 60 of the
    simulation and started again --outage-minutes later, while licenses
    keep ending;
  * with --postgres, two instances on one database, devices split between
    them: the second is killed (SIGKILL) at day 60 and started again
    --outage-minutes later.

Licenses end between day 30 and day 89 of the simulation; one reserve in
twenty is blocked by the vendor, one in twenty has its only seat taken
by another device before the rollover. The application checks its license
(LicenseManager::Check) at each license's end and whenever the SDK
scheduled a retry. Reported per kind of reserve, and apart for the devices
whose license ended while their server was down: the seconds (simulated)
they spent without a valid license for a network reason, total and worst,
and the refusals a retry cannot fix (the user must act).

Usage: bench/continuity.py [--devices 2000] [--outage-minutes 10]
                           [--postgres postgresql://user@host:port]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

DRIVER = os.path.join(run.BUILD, "bench", "continuity_driver")
START = 1800000000


class Server:
    """One licentiad on the test clock, restartable on the same port."""

    def __init__(self, work, index, database=None, data=None):
        self.work = work
        self.index = index
        self.database = database
        self.data = data or os.path.join(work, "data")
        self.port = 0
        self.proc = None

    def start(self, clock_start):
        port_file = os.path.join(self.work, f"port{self.index}")
        if os.path.exists(port_file):
            os.remove(port_file)
        args = [run.LICENTIAD, "--listen", f"127.0.0.1:{self.port}",
                "--data-dir", self.data, "--port-file", port_file,
                "--admin-token-file", os.path.join(self.work, "token"),
                "--rate-limit-ip", "0", "--rate-limit-code", "0",
                "--max-connections-per-address", "100000",
                "--test-clock", "--test-clock-start", str(clock_start)]
        if self.database:
            args += ["--database", self.database]
        log = open(os.path.join(self.work, f"licentiad{self.index}.log"), "a")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(3000):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.01)
        self.port = int(open(port_file).read().strip())

    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        self.proc = None


def simulate(name, work, devices, outage_minutes, database=None, instances=1):
    servers = [Server(work, 0, database)]
    servers[0].start(START)
    for i in range(1, instances):
        servers.append(Server(work, i, database, servers[0].data))
        servers[i].start(START)
    token = open(os.path.join(work, "token")).read().strip()
    key = open(os.path.join(servers[0].data, "signing.pub")).read().split()[0]
    run.call(servers[0].url() + "/v1/admin/products", "POST",
             {"id": "cont", "name": "Continuity", "versions": ["1.0"]}, token)
    state = os.path.join(work, "devices")
    os.makedirs(state)
    victim = servers[-1]
    started = time.monotonic()
    driver = subprocess.Popen(
        [DRIVER, "--servers", ",".join(s.url() for s in servers),
         "--token", token, "--public-key", key, "--devices", str(devices),
         "--state-dir", state, "--outage-minutes", str(outage_minutes)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    result = None
    try:
        for line in driver.stdout:
            word = line.split()
            if word and word[0] == "DOWN":
                # One instance alone is restarted cleanly; of two, one is
                # killed as a crash would.
                victim.stop(signal.SIGKILL if instances > 1 else signal.SIGTERM)
                driver.stdin.write("ok\n")
                driver.stdin.flush()
            elif word and word[0] == "UP":
                victim.start(int(word[1]))
                driver.stdin.write("ok\n")
                driver.stdin.flush()
            elif line.startswith("{"):
                result = json.loads(line)
        if driver.wait() != 0 or result is None:
            raise RuntimeError(f"{name}: the driver failed")
    finally:
        for s in servers:
            s.stop()
    result["name"] = name
    result["wall_s"] = time.monotonic() - started
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=2000)
    ap.add_argument("--outage-minutes", type=int, default=10)
    ap.add_argument("--postgres")
    args = ap.parse_args()
    plans = [("sqlite, 1 instance, restarted", None, 1)]
    if args.postgres:
        plans.append(("postgres, 2 instances, one killed", "cont", 2))
    results = []
    for name, db, instances in plans:
        work = tempfile.mkdtemp(prefix="licentia-continuity-")
        database = run.create_database(args.postgres, db) if db else None
        try:
            results.append(simulate(name, work, args.devices,
                                    args.outage_minutes, database, instances))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.devices} devices, licenses ending over 60 days, a "
          f"{args.outage_minutes}-minute outage at day 60:\n")
    print("| setup | reserve | license ended during the outage | devices | "
          "without a license (network): devices, total, worst | of which "
          "after the server was back (worst) | refused (the user must act) |")
    print("|---|---|---|---:|---|---:|---|")
    for r in results:
        for row in r["rows"]:
            refused = ", ".join(f"{k} {v}" for k, v in row["refused"].items()) or "—"
            print(f"| {r['name']} | {row['reserve']} | "
                  f"{'yes' if row['license_ended_during_outage'] else 'no'} | "
                  f"{row['devices']} | {row['network_gap_devices']}, "
                  f"{row['network_gap_total_s']} s, {row['network_gap_worst_s']} s | "
                  f"{row['worst_after_server_back_s']} s | {refused} |")
        print(f"\n({r['name']}: {r['wall_s']:.0f} s of wall time)")


if __name__ == "__main__":
    main()
