"""Benchmark: requests per second and p50/p99 latency of the API on the embedded default.

Builds a demo brand in a fresh SQLite store (`siyu init`, `siyu demo load`, `siyu run`),
starts `uvicorn siyu.app:create_app` in a subprocess, and drives it with an open-loop load
generator (requests are scheduled at the target rate; latency counts from the scheduled
moment, so a slow server cannot hide queueing). Scenarios:

  lookup    GET /api/v1/customers?q=<phone>   (blind-index search, profile join)
  portrait  GET /api/v1/customers/{id}         (identities, profile, contacts, consent)
  webhook   POST /api/v1/webhooks/orders       (signed new order: identity resolution, write)

    python bench/api_load.py [--orders 20000] [--rate 500] [--seconds 10] [--workers 1]

Aim (issue 5): p99 under 100 ms at 500 requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from siyu.accounts import service as accounts
from siyu.config import Settings
from siyu.db.engine import unit_of_work
from siyu.models import Customer, Identity
from siyu.store import open_store
from siyu.webhooks import rules
from siyu.workspaces import service as workspaces

AIM_P99_MS = 100.0


@dataclass
class Result:
    """What one scenario measured."""

    name: str
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    def percentile(self, q: float) -> float:
        """The q-th percentile latency in ms."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def _siyu(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "siyu", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, cwd=env["SIYU_HOME"])  # fmt: skip


def prepare(home: Path, orders: int) -> tuple[dict[str, str], str, str, str, list[str], list[int]]:
    """A demo store, an API key, and phones and ids of real customers to look up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env |= {"SIYU_HOME": str(home), "SIYU_WORKSPACE": "demo"}
    for args in (("init",), ("demo", "load", "--orders", str(orders)), ("run",)):
        started = time.perf_counter()
        _siyu(env, *args)
        print(f"  siyu {' '.join(args)}: {time.perf_counter() - started:.1f} s")
    store = open_store(Settings(home=home))
    try:
        with unit_of_work(store.sessions) as session:
            ws = workspaces.require(session, "demo")
            made = accounts.create_api_key(session, ws.id, store.cipher, name="bench",
                                           scopes="customers:read orders:write")  # fmt: skip
            blobs = session.scalars(
                select(Identity.value_enc).where(Identity.kind == "phone").limit(2000)
            ).all()
            phones = [store.cipher.decrypt(b) for b in blobs]
            ids = list(session.scalars(select(Customer.id).limit(2000)))
    finally:
        store.close()
    return env, made.key, made.row.prefix, made.signing_secret, phones, ids


def _request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def drive(port: int, payloads: list[bytes], rate: float, connections: int) -> Result:
    """Send the payloads at `rate` per second over keep-alive connections."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.transport.get_extra_info("socket").setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
        )
        while True:
            due, payload = await queue.get()
            if not payload:
                writer.close()
                return
            writer.write(payload)
            await writer.drain()
            status = await _read_response(reader)
            latencies.append((time.perf_counter() - due) * 1000)
            counts["ok" if status < 400 else "errors"] += 1

    tasks = [asyncio.create_task(worker()) for _ in range(connections)]
    start = time.perf_counter()
    for i, payload in enumerate(payloads):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((due, payload))
    for _ in tasks:
        queue.put_nowait((0.0, b""))
    await asyncio.gather(*tasks)
    return Result("", len(payloads), counts["ok"], counts["errors"],
                  time.perf_counter() - start, latencies)  # fmt: skip


def webhook_payloads(prefix: str, secret: str, phones: list[str], count: int) -> list[bytes]:
    """Signed order events: half from known customers (found by phone), half new buyers."""
    rng = random.Random(1)
    out = []
    timestamp = str(int(time.time()) + 60)  # fresh for the whole run (5-minute window)
    for i in range(count):
        phone = rng.choice(phones) if i % 2 == 0 and phones else f"139{rng.randrange(10**8):08d}"
        event = {
            "event": "order.paid", "shop": "bench_mp", "platform": "mini_program",
            "order_id": f"B{uuid.uuid4().hex[:16]}", "status": "paid",
            "ordered_at": "2026-11-01T10:00:00+08:00", "phone": phone,
            "lines": [{"sku": "BENCH-1", "name": "bench tea", "quantity": 1, "amount_fen": 9900}],
        }  # fmt: skip
        body = json.dumps(event).encode()
        delivery = uuid.uuid4().hex
        headers = {
            "Content-Type": "application/json",
            rules.KEY_HEADER: prefix,
            rules.TIMESTAMP_HEADER: timestamp,
            rules.DELIVERY_HEADER: delivery,
            rules.SIGNATURE_HEADER: rules.sign(secret.encode(), timestamp, delivery, body),
        }
        out.append(_request("POST", "/api/v1/webhooks/orders", headers, body))
    return out


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    """uvicorn with the app factory; waits for the health check."""
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "siyu.app:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
         "--log-level", "warning"],
        env=env, cwd=env["SIYU_HOME"],
    )  # fmt: skip
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not start")


def main() -> None:
    """Run the scenarios and print the figures against the aim."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="siyu-bench-") as tmp:
        home = Path(tmp)
        print(f"preparing a demo brand of {args.orders:,} orders in {home}")
        env, key, prefix, secret, phones, ids = prepare(home, args.orders)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = start_server(env, port, args.workers)
        auth = {"Authorization": f"Bearer {key}"}
        count = int(args.rate * args.seconds)
        rng = random.Random(7)
        scenarios = {
            "lookup": [_request("GET", f"/api/v1/customers?q={rng.choice(phones)}", auth)
                       for _ in range(count)],
            "portrait": [_request("GET", f"/api/v1/customers/{rng.choice(ids)}", auth)
                         for _ in range(count)],
            "webhook": webhook_payloads(prefix, secret, phones, count),
        }  # fmt: skip
        try:
            warm = scenarios["lookup"][: int(args.rate)]
            asyncio.run(drive(port, warm, args.rate, args.connections))
            results = []
            for name, payloads in scenarios.items():
                result = asyncio.run(drive(port, payloads, args.rate, args.connections))
                result.name = name
                results.append(result)
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(f"\n{args.rate:.0f} req/s offered for {args.seconds:.0f} s, {args.connections} "
          f"connections, {args.workers} worker(s), SQLite, {os.cpu_count()} cores")  # fmt: skip
    print(f"load average before the run: {load_before}")
    print(f"{'scenario':<10}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  aim p99 < 100 ms")
    for r in results:
        verdict = "met" if r.percentile(99) < AIM_P99_MS and not r.errors else "missed"
        print(f"{r.name:<10}{r.ok / r.seconds:>8.0f}{r.percentile(50):>9.1f}"
              f"{r.percentile(99):>9.1f}{r.errors:>8}  {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
