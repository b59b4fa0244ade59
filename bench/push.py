#!/usr/bin/env python3
"""Push, measured: how fast a vendor's block reaches a waiting device, and
what waiting devices cost the server.

For each setup (SQLite with one instance; with --postgres also PostgreSQL
with two instances, the devices waiting on one and the vendor blocking
through the other) it

  1. issues one single-seat code per device and activates each;
  2. opens --devices long polls (`POST /v1/wait`, docs/api.md), one per
     device, from client processes spread over several loopback source
     addresses (the server caps connections per address), and waits until
     the server's licentia_waiting_devices gauge shows them all;
  3. records the server's resident memory (VmRSS) before and with them;
  4. blocks --blocks of those codes one after another through the admin
     API, and for each takes the time from just before the block request
     was sent to the moment its device's wait was answered with
     "blocked" (CLOCK_MONOTONIC, shared by all processes of the machine):
     the propagation, reported as p50 / p99 / max;
  5. checks that every blocked device, and no other, was woken.

The clients speak HTTP/1.1 directly (asyncio): a device's SDK makes the
same request and adds only the parse and the state update (microseconds).

Usage: bench/push.py [--devices 10000] [--blocks 300] [--rounds 3]
                     [--postgres postgresql://user@host:port]
                     [--idle-devices 19000]
--idle-devices adds a memory-only run (SQLite) with that many waiting
devices. Each process may hold at most its hard RLIMIT_NOFILE descriptors
(`ulimit -Hn`); the server needs one per waiting device.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

PER_ADDRESS = 200  # under the server's default cap of 256 per address
CLIENT_PROCESSES = 4


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def waiting(bases):
    total = 0
    for base in bases:
        m = urllib.request.urlopen(base + "/metrics", timeout=30).read().decode()
        for line in m.splitlines():
            if line.startswith("licentia_waiting_devices "):
                total += int(line.split()[1])
    return total


async def http_post(reader, writer, host, path, body):
    data = json.dumps(body).encode()
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(await reader.readexactly(length))


async def device_loop(dev, host, port, source, report, opened, connect_slots):
    """One device: its version at once, then waits until blocked."""
    async with connect_slots:
        reader, writer = await asyncio.open_connection(
            host, port, local_addr=(source, 0))
    creds = {"code": dev["code"], "fingerprint": dev["fingerprint"],
             "activation_token": dev["activation_token"]}
    _, first = await http_post(reader, writer, host, "/v1/wait",
                               dict(creds, timeout_seconds=0))
    version = first["version"]
    opened()
    while True:
        status, answer = await http_post(
            reader, writer, host, "/v1/wait",
            dict(creds, since=version, timeout_seconds=300))
        now = time.monotonic()
        if status != 200:
            report.put((dev["index"], now, f"error {status}"))
            return
        if answer["version"] != version:
            report.put((dev["index"], now, answer["state"]))
            version = answer["version"]
            if answer["state"] == "blocked":
                writer.close()
                return


def client_process(devices, base, first_source, report, ready):
    raise_fd_limit()
    host, port = base.split("//")[1].split(":")
    port = int(port)

    async def main():
        slots = asyncio.Semaphore(256)
        count = [0]

        def opened():
            count[0] += 1
            if count[0] == len(devices):
                ready.put(len(devices))

        tasks = []
        for i, dev in enumerate(devices):
            source = f"127.0.{(first_source + i // PER_ADDRESS) // 250}." \
                     f"{2 + (first_source + i // PER_ADDRESS) % 250}"
            tasks.append(asyncio.create_task(
                device_loop(dev, host, port, source, report, opened, slots)))
        results = await asyncio.gather(*tasks, return_exceptions=True)
        errors = [r for r in results if isinstance(r, Exception)]
        if errors:
            report.put((-1, 0.0, f"{len(errors)} clients failed: {errors[0]!r}"))

    asyncio.run(main())


async def activate_all(base, codes, prefix):
    host, port = base.split("//")[1].split(":")
    slots = asyncio.Semaphore(64)

    async def one(i, code):
        async with slots:
            reader, writer = await asyncio.open_connection(host, int(port))
            status, r = await http_post(
                reader, writer, host, "/v1/activate",
                {"code": code["code"], "fingerprint": f"{prefix}-{i}",
                 "app_version": "22.0"})
            writer.close()
            if status != 200:
                raise RuntimeError(f"activation failed: {r}")
            return {"index": i, "code": code["code"], "id": code["id"],
                    "fingerprint": f"{prefix}-{i}",
                    "activation_token": r["activation_token"]}

    return await asyncio.gather(*(one(i, c) for i, c in enumerate(codes)))


def issue(base, token, count):
    codes = []
    while len(codes) < count:
        n = min(count - len(codes), 10000)
        r = run.call(base + "/v1/admin/codes", "POST",
                     {"product": "bench", "count": n, "max_devices": 1}, token)
        codes += [{"code": c["code"], "id": c["id"]} for c in r["codes"]]
    return codes


def measure(name, work, database, instances, devices, blocks, rounds_label,
            spread=False):
    """One run. The devices wait on the last instance, or with `spread` on
    all of them, a client process per instance in turn."""
    setup = run.Setup(name, work, database, instances, codes=500,
                      extra_args=["--max-connections", "1000000"])
    try:
        token = open(os.path.join(work, "token")).read().strip()
        admin_base = setup.bases[0]
        wait_base = setup.bases[-1]  # with two instances: the other one
        started = time.monotonic()
        codes = issue(admin_base, token, devices)
        devs = asyncio.run(activate_all(admin_base, codes, f"push-{rounds_label}"))
        prepare_s = time.monotonic() - started
        rss_before = sum(rss_kib(p.pid) for p in setup.procs)

        report = multiprocessing.Queue()
        ready = multiprocessing.Queue()
        # Spread: two client processes per instance, so that no instance
        # holds more waits than its descriptors allow.
        clients = max(CLIENT_PROCESSES, 2 * len(setup.bases)) if spread \
            else CLIENT_PROCESSES
        per = (len(devs) + clients - 1) // clients
        procs = []
        for k in range(clients):
            part = devs[k * per:(k + 1) * per]
            first_source = k * ((per + PER_ADDRESS - 1) // PER_ADDRESS)
            base = setup.bases[k % len(setup.bases)] if spread else wait_base
            p = multiprocessing.Process(target=client_process,
                                        args=(part, base, first_source, report, ready))
            p.start()
            procs.append(p)
        deadline = time.monotonic() + 600
        while waiting(setup.bases) < devices:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {waiting(setup.bases)} devices waiting")
            time.sleep(0.2)
        time.sleep(1.0)  # let the allocator settle
        rss_waiting = sum(rss_kib(p.pid) for p in setup.procs)

        latencies = []
        blocked = set()
        step = max(1, len(devs) // max(blocks, 1))
        for dev in devs[::step][:blocks]:
            t0 = time.monotonic()
            run.call(f"{admin_base}/v1/admin/codes/{dev['id']}/block", "POST",
                     {"reason": "bench"}, token)
            blocked.add(dev["index"])
            while True:
                index, at, state = report.get(timeout=60)
                if index == -1 or state.startswith("error"):
                    raise RuntimeError(state)
                if index != dev["index"] or state != "blocked":
                    raise RuntimeError(f"device {index} woken ({state}), "
                                       f"expected {dev['index']}")
                latencies.append(at - t0)
                break
        # Nothing else woke.
        time.sleep(1.0)
        if not report.empty():
            raise RuntimeError(f"unexpected wake: {report.get()}")
        still = waiting(setup.bases)
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()
        return {
            "prepare_s": prepare_s,
            "rss_before_kib": rss_before,
            "rss_waiting_kib": rss_waiting,
            "latencies": latencies,
            "still_waiting": still,
        }
    finally:
        setup.stop()


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--blocks", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--postgres")
    ap.add_argument("--idle-devices", type=int, default=0)
    ap.add_argument("--idle-instances", type=int, default=1,
                    help="hold the idle run's waits on this many instances "
                    "(PostgreSQL; one process can hold only its fd limit)")
    args = ap.parse_args()
    hard = raise_fd_limit()

    plans = [("sqlite, 1 instance", None, 1)]
    if args.postgres:
        plans.append(("postgres, 2 instances (wait on B, block through A)", "push", 2))
    rows = []
    for name, db, instances in plans:
        results = []
        for r in range(args.rounds):
            work = tempfile.mkdtemp(prefix="licentia-push-")
            database = run.create_database(args.postgres, f"{db}_{r}") if db else None
            try:
                results.append(measure(name, work, database, instances,
                                       args.devices, args.blocks, r))
            finally:
                shutil.rmtree(work, ignore_errors=True)
        rows.append((name, results))

    print(f"\n{args.devices} waiting devices, {args.blocks} blocks per round, "
          f"{args.rounds} rounds (fd limit {hard}):\n")
    print("| setup | propagation p50 | p99 | max (all rounds) | server RSS before → with the waits | per waiting device |")
    print("|---|---:|---:|---:|---|---:|")
    for name, results in rows:
        p50 = statistics.median(pct(r["latencies"], 50) for r in results)
        p99 = statistics.median(pct(r["latencies"], 99) for r in results)
        worst = max(max(r["latencies"]) for r in results)
        before = statistics.median(r["rss_before_kib"] for r in results)
        with_waits = statistics.median(r["rss_waiting_kib"] for r in results)
        per = (with_waits - before) / args.devices
        print(f"| {name} | {p50 * 1000:.1f} ms | {p99 * 1000:.1f} ms | "
              f"{worst * 1000:.1f} ms | {before / 1024:.0f} → {with_waits / 1024:.0f} MiB | "
              f"{per:.1f} KiB |")

    if args.idle_devices:
        work = tempfile.mkdtemp(prefix="licentia-push-idle-")
        n = args.idle_instances
        database = run.create_database(args.postgres, "idle") if n > 1 else None
        try:
            r = measure(f"idle, {n} instance(s)", work, database, n,
                        args.idle_devices, 1, "idle", spread=n > 1)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        per = (r["rss_waiting_kib"] - r["rss_before_kib"]) / args.idle_devices
        print(f"\nIdle: {args.idle_devices} waiting devices on {n} "
              f"instance(s): licentiad RSS (all instances) "
              f"{r['rss_before_kib'] / 1024:.0f} → {r['rss_waiting_kib'] / 1024:.0f} MiB, "
              f"{per:.1f} KiB per waiting device.")


if __name__ == "__main__":
    main()
