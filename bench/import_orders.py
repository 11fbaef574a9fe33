"""Benchmark: order lines per second for a large order import into the embedded store.

Writes a generic-preset CSV of N order lines (default 1,000,000; ~2 lines per order,
repeat buyers, some refunds), imports it into a fresh SQLite store with the same code
path as `siyu import orders`, and prints time, throughput, phase split and peak memory.
As a reference floor it also times a bare sqlite3 executemany of the same number of
line rows (no parsing, validation, identity resolution or encryption): the ratio says
what siyu's work costs on top of the storage engine itself.

    python bench/import_orders.py [--lines 1000000] [--seed 1] [--url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade
from siyu.kit.crypto import PiiCipher, decode_key, generate_key
from siyu.orders.service import import_orders
from siyu.workspaces.service import ensure

HEADER = ["order_id", "ordered_at", "paid_at", "status", "buyer_id", "phone", "receiver_name",
          "address", "order_amount", "shipping", "line_id", "sku", "product_name", "quantity",
          "unit_price", "line_amount", "line_refund"]  # fmt: skip


def write_export(path: Path, lines: int, seed: int) -> int:
    """Write a generic-preset export with `lines` order lines; return the order count."""
    rng = random.Random(seed)
    customers = max(lines // 6, 1)
    start = datetime(2024, 1, 1)
    written = orders = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        while written < lines:
            orders += 1
            buyer = rng.randrange(customers)
            at = start + timedelta(seconds=rng.randrange(86_400 * 900))
            n = min(rng.choice((1, 1, 2, 2, 3, 4)), lines - written)
            prices = [rng.randrange(990, 39_900) for _ in range(n)]
            quantities = [rng.choice((1, 1, 1, 2)) for _ in range(n)]
            amounts = [p * q for p, q in zip(prices, quantities, strict=True)]
            total = sum(amounts) + 800
            refund_line = rng.randrange(n) if rng.random() < 0.04 else -1
            for i in range(n):
                out.writerow([
                    f"{4_000_000_000_000 + orders}", at.strftime("%Y-%m-%d %H:%M:%S"),
                    at.strftime("%Y-%m-%d %H:%M:%S"), "completed", f"buyer{buyer}",
                    f"199{buyer:08d}", f"客户{buyer}", f"上海市徐汇区某路{buyer % 999}号",
                    f"{total / 100:.2f}", "8.00", f"{orders}-{i}", f"SKU{prices[i] % 97:03d}",
                    f"商品{prices[i] % 97}", quantities[i], f"{prices[i] / 100:.2f}",
                    f"{amounts[i] / 100:.2f}",
                    f"{amounts[i] / 100:.2f}" if i == refund_line else "",
                ])  # fmt: skip
            written += n
    return orders


def bare_sqlite_floor(path: Path, lines: int) -> float:
    """Seconds for sqlite3 to executemany `lines` rows of seven columns (WAL, one transaction)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b TEXT, c INT, d INT, e INT, f INT)"
    )
    rows = ((i, f"{i}-0", i % 97, 1, 990, 990) for i in range(lines))
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO t (a, b, c, d, e, f) VALUES (?, ?, ?, ?, ?, ?)", rows)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", default="", help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siyu-bench-") as tmp:
        folder = Path(tmp)
        export = folder / "orders.csv"
        orders = write_export(export, args.lines, args.seed)
        engine = make_engine(args.url or f"sqlite:///{folder / 'siyu.db'}")
        upgrade(engine)
        cipher = PiiCipher(decode_key(generate_key()))
        sessions = make_session_factory(engine)
        with unit_of_work(sessions) as session:
            workspace_id = ensure(session, "bench").id
        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            result = import_orders(
                session,
                workspace_id=workspace_id,
                cipher=cipher,
                path=export,
                preset_name="generic",
            )
        elapsed = time.perf_counter() - started
        engine.dispose()
        floor = bare_sqlite_floor(folder / "floor.db", args.lines)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"order lines            {result.rows:>12,}")
    print(f"orders                 {orders:>12,}  (created {result.created:,})")
    print(f"rejected rows          {len(result.rejects):>12,}")
    print(f"import seconds         {elapsed:>12.2f}")
    for phase, seconds in result.seconds.items():
        print(f"  {phase:<20} {seconds:>12.2f}")
    print(f"lines per second       {result.rows / elapsed:>12,.0f}   (target 100,000)")
    print(f"peak memory MiB        {peak_mib:>12,.0f}")
    print(f"bare sqlite3 floor s   {floor:>12.2f}   ({args.lines / floor:,.0f} rows/s)")
    print(f"siyu / floor           {elapsed / floor:>12.1f}x")


if __name__ == "__main__":
    main()
