"""Benchmark: the daily pipeline (`siyu run`) on the embedded default, step by step.

Loads a simulated brand of N orders into a fresh SQLite store (not timed), then runs the
pipeline twice: a first full run (the snapshot exports everything) and a second, incremental
one after nothing changed. Prints each step's seconds and the peak memory.

    python bench/daily_pipeline.py [--orders 1000000] [--seed 7]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as day_start
from pathlib import Path

from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade
from siyu.demo.loader import DemoLoader
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher, decode_key, generate_key
from siyu.scoring.service import run_daily
from siyu.workspaces.service import ensure


def main() -> None:
    """Load, run twice, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siyu-bench-") as tmp:
        folder = Path(tmp)
        engine = make_engine(f"sqlite:///{folder / 'siyu.db'}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        brand = simulate_brand(orders=args.orders, seed=args.seed)
        started = time.perf_counter()
        with unit_of_work(sessions) as session:
            workspace_id = ensure(session, "bench").id
            DemoLoader(session, workspace_id, PiiCipher(decode_key(generate_key())), brand).load()
        print(f"loaded {len(brand.orders.order_no):,} orders, {len(brand.lines.order):,} lines "
              f"in {time.perf_counter() - started:.1f} s (not part of the pipeline)")  # fmt: skip
        as_of = datetime.combine(brand.end, day_start(), tzinfo=UTC)
        for label in ("first run (full snapshot)", "second run (incremental)"):
            started = time.perf_counter()
            with unit_of_work(sessions) as session:
                report = run_daily(session, workspace_id, root=folder / "warehouse", as_of=as_of)
            total = time.perf_counter() - started
            steps = "  ".join(f"{k} {v:.2f}" for k, v in report.seconds.items())
            print(f"{label}: {report.customers:,} customers, {total:.2f} s  [{steps}]")
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory MiB {peak:,.0f}   (target: 1M customers / 10M lines under 60 s)")


if __name__ == "__main__":
    main()
