"""Benchmark: next-best products on a simulated brand, evaluated on a time split.

Simulates a brand (default 200,000 orders over three years), writes its facts straight into a
Parquet snapshot with the warehouse's schemas (customers are the simulator's, ids from 1; the
store and identity resolution are skipped: they are not what is measured), then:

1. extracts purchase histories through Ibis on DuckDB, up to a cut ``--holdout-days`` before
   the end and after it;
2. fits popularity, co-purchase, the implicit-feedback model (ALS) and the role rules on the
   purchases before the cut;
3. recommends the top 10 to every customer who bought before and after the cut and prints hit
   rate@10 and NDCG@10 per method, with and without the role rules;
4. fits on everything and recommends to every buyer, as ``siyu recommend`` does, and prints
   the time of each step, the throughput and the peak memory of the process.

    python bench/next_best.py [--orders 200000] [--holdout-days 180] [--seed 7]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from siyu.analytics.recommend import (
    METHODS,
    NextBestProducts,
    RecommendSettings,
    evaluate,
    history_matrix,
    load_histories,
    load_roles,
    time_split,
)
from siyu.demo.simulator import DemoBrand, simulate_brand
from siyu.warehouse.engine import connect, tables
from siyu.warehouse.schemas import SCHEMAS

T = TypeVar("T")


def _utc(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC"))


def _write(root: Path, name: str, columns: dict[str, Any]) -> None:
    schema = SCHEMAS[name]
    n = len(next(iter(columns.values()))) if columns else 0
    arrays = [columns[f.name] if f.name in columns else pa.nulls(n, type=f.type) for f in schema]
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), folder / "part-0.parquet")


def write_snapshot(brand: DemoBrand, root: Path) -> None:
    """The brand's orders, lines, refunds and customers as snapshot Parquet files."""
    o, lines, refunds = brand.orders, brand.lines, brand.refunds
    n_orders = len(o)
    refunded = np.bincount(refunds.order, weights=refunds.amount_fen, minlength=n_orders)
    line_ids = np.arange(1, len(lines) + 1, dtype=np.int64)
    roles = np.array([p.role for p in brand.products])
    costs = np.array([p.unit_cost_fen for p in brand.products], dtype=np.int64)
    line_amount = lines.amount_fen[np.maximum(refunds.line, 0)]
    _write(root, "orders", {
        "id": np.arange(1, n_orders + 1, dtype=np.int64), "customer_id": o.customer + 1,
        "status": pa.array(o.status.tolist()), "ordered_at": _utc(o.ordered_at),
        "paid_at": _utc(o.paid_at), "goods_fen": o.goods_fen, "shipping_fen": o.shipping_fen,
        "discount_fen": o.discount_fen, "paid_fen": o.paid_fen,
        "refunded_fen": refunded.astype(np.int64),
    })  # fmt: skip
    _write(root, "order_lines", {
        "id": line_ids, "order_id": lines.order + 1, "product_id": lines.product + 1,
        "product_role": pa.array(roles[lines.product]), "quantity": lines.quantity,
        "unit_price_fen": lines.unit_price_fen, "amount_fen": lines.amount_fen,
        "unit_cost_fen": costs[lines.product],
    })  # fmt: skip
    on_line = refunds.line >= 0
    _write(root, "refunds", {
        "id": np.arange(1, len(refunds) + 1, dtype=np.int64), "order_id": refunds.order + 1,
        "order_line_id": pa.array(np.where(on_line, refunds.line + 1, 0), mask=~on_line),
        "amount_fen": refunds.amount_fen,
        "is_full": pa.array(~on_line | (refunds.amount_fen >= line_amount)),
        "refunded_at": _utc(refunds.refunded_at),
    })  # fmt: skip
    n_customers = len(brand.customers)
    _write(
        root,
        "customers",
        {
            "id": np.arange(1, n_customers + 1, dtype=np.int64),
            "first_seen_at": _utc(brand.customers.acquired_at),
        },
    )
    for name in ("contacts", "channel_costs"):
        _write(root, name, {})


def timed(label: str, seconds: dict[str, float], work: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = work()
    seconds[label] = time.perf_counter() - started
    return result


def main() -> None:
    """Simulate, evaluate on the time split, fit on everything, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--holdout-days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    settings = RecommendSettings()
    seconds: dict[str, float] = {}
    brand = timed("simulate", seconds, lambda: simulate_brand(orders=args.orders, seed=args.seed))
    end = datetime.fromisoformat(str(brand.end_at)).replace(tzinfo=UTC)
    cut = end - timedelta(days=args.holdout_days)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        timed("write snapshot", seconds, lambda: write_snapshot(brand, root))
        t = tables(connect("duckdb"), root)
        roles = timed("roles (Ibis)", seconds, lambda: load_roles(t))
        train = timed("histories before cut (Ibis)", seconds, lambda: load_histories(t, cut))
        test = timed("histories after cut (Ibis)", seconds, lambda: load_histories(t, end, cut))
        everything = timed("histories, all (Ibis)", seconds, lambda: load_histories(t, end))
    print(f"brand: {len(brand.orders):,} orders, {len(brand.lines):,} lines, "
          f"{len(brand.products)} products; cut {cut.date()} "
          f"({args.holdout_days} days held out)")  # fmt: skip
    matrix = history_matrix(train, roles)
    split = time_split(matrix, test)
    model = timed("fit before cut", seconds, lambda: NextBestProducts(settings).fit(matrix))
    print(f"train: {matrix.shape[0]:,} buyers x {matrix.shape[1]} products, {len(train):,} pairs;"
          f" test: {split.rows.size:,} customers who bought again after the cut")  # fmt: skip
    results = evaluate(model, split, methods=METHODS, rules=(False, True), k=10)
    print(f"\n{'method':<14}{'rules':<7}{'hit rate@10':>20}{'NDCG@10':>20}{'seconds':>9}")
    for r in results:
        hit, ndcg = f"{r.hit_rate:.4f} ± {r.hit_rate_se:.4f}", f"{r.ndcg:.4f} ± {r.ndcg_se:.4f}"
        print(f"{r.method:<14}{'yes' if r.rules else 'no':<7}{hit:>20}{ndcg:>20}"
              f"{r.seconds:>9.2f}")  # fmt: skip
    print("(± one standard error over the test customers)")
    full = history_matrix(everything, roles)
    final = timed("fit, all buyers", seconds, lambda: NextBestProducts(settings).fit(full))
    produced = timed(
        "recommend, all buyers", seconds, lambda: sum(b.rows.size for b in final.recommend())
    )
    print("\nstep timings (seconds)")
    for label, value in seconds.items():
        print(f"  {label:<32}{value:>8.2f}")
    rate = produced / max(seconds["recommend, all buyers"], 1e-9)
    print(f"recommended top {settings.top} to {produced:,} buyers: {rate:,.0f} customers/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
