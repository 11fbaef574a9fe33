"""Benchmark: fitting BG/NBD, Pareto/NBD and Gamma-Gamma to a million simulated customers.

Simulates N customers (default 1,000,000) from the BG/NBD process with the parameters FHL
(2005) estimated on CDNOW, converted to days (r=0.243, alpha=30.9 days, a=0.793, b=2.426;
dropout only after repeat purchases), first purchases spread over 84 days and observation up to
day 273, as in CDNOW's 12-week cohort and 39-week calibration. Each order is worth
Gamma(p=6.25, rate nu) with nu ~ Gamma(q=3.74, rate gamma=15.44), the CDNOW Gamma-Gamma
estimates. Per-order arrays go through siyu's preparation (orders on one day are one purchase).

It then fits siyu's three models on the per-customer arrays (grouping to distinct rows included
in the time) and lifetimes' BetaGeoFitter, ParetoNBDFitter and GammaGammaFitter on the same
data: on all customers where that finishes within --lifetimes-timeout seconds, on the same
distinct rows with ``weights=`` (lifetimes' own API for grouped data), and for Pareto/NBD on a
random subsample of --pareto-sample customers, extrapolated linearly to N and labelled so.
Each fit runs in a forked child process; peak memory is that child's peak resident set minus
its size at the fork.

    python bench/clv_fit.py [--customers 1000000] [--seed 2026] [--lifetimes-timeout 600]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from siyu.analytics.clv import (
    BGNBDModel,
    GammaGammaModel,
    ParetoNBDModel,
    customer_value,
    group_histories,
    histories_from_orders,
    mean_repeat_spend,
)
from siyu.demo.simulator import simulate_purchases

TRUE_BG = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426}
TRUE_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
ACQUISITION_DAYS = 84.0
END_DAY = 273.0


@dataclass(frozen=True)
class Data:
    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    monetary: np.ndarray
    orders: int


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_mib: float
    params: dict[str, float] | None
    note: str = ""


def simulate(n: int, seed: int) -> Data:
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE_BG["r"], 1.0 / TRUE_BG["alpha"], n)
    p = rng.beta(TRUE_BG["a"], TRUE_BG["b"], n)
    acquired = rng.uniform(0.0, ACQUISITION_DAYS, n)
    history = simulate_purchases(lam, p, acquired, END_DAY - 1e-9, rng, dropout_at_first=False)
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], n)
    amount = rng.gamma(TRUE_GG["p"], 1.0 / nu[history.customer])
    hist = histories_from_orders(history.customer, history.day, END_DAY)
    monetary = mean_repeat_spend(history.customer, history.day, amount, END_DAY)
    return Data(hist.frequency, hist.recency, hist.age, monetary, int(history.day.size))


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _child(fn: Callable[[], dict[str, float]], conn: Any) -> None:
    warnings.simplefilter("ignore")
    start_rss = _rss_kib()
    started = time.perf_counter()
    try:
        params, note = fn(), ""
    except Exception as error:  # lifetimes may fail to converge; report it, do not crash
        params, note = None, f"failed: {type(error).__name__}: {error}"[:120]
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss
    conn.send(Measurement(seconds, peak / 1024.0, params, note))
    conn.close()


def measure(fn: Callable[[], dict[str, float]], timeout: float) -> Measurement:
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(fn, send))
    process.start()
    if receive.poll(timeout):
        result: Measurement = receive.recv()
        process.join()
        return result
    process.kill()
    process.join()
    return Measurement(timeout, float("nan"), None, f"did not finish in {timeout:.0f} s")


def as_dict(params: Any) -> dict[str, float]:
    return {k: float(v) for k, v in vars(params).items()}


def lifetimes_params(fitter: Any, names: tuple[str, ...]) -> dict[str, float]:
    values = fitter.params_
    return {name: float(values[key]) for name, key in zip(names, values.index, strict=True)}


def report(
    title: str,
    ours: Measurement,
    theirs: list[tuple[str, Measurement, float]],
    truth: dict[str, float] | None,
    reference: Measurement | None,
) -> None:
    print(f"\n== {title} ==")
    print(f"  {'fit':58s} {'seconds':>9s} {'peak MiB':>9s} {'speed-up':>9s}")
    print(f"  {'siyu (ours)':58s} {ours.seconds:9.2f} {ours.peak_mib:9.0f} {'':>9s}")
    for label, m, scale in theirs:
        seconds = m.seconds * scale
        ratio = f"{seconds / ours.seconds:8.0f}x" if m.params is not None else "-"
        shown = f"{seconds:9.1f}" if m.params is not None else f"{'>' + str(int(m.seconds)):>9s}"
        print(f"  {label:58s} {shown} {m.peak_mib:9.0f} {ratio:>9s}  {m.note}")
    if ours.params is None:
        return
    names = list(ours.params)
    ref = reference.params if reference is not None and reference.params else None
    print(f"  {'param':8s} {'true':>11s} {'siyu':>11s} {'lifetimes':>11s} {'rel. diff':>10s}")
    worst = 0.0
    for name in names:
        mine = ours.params[name]
        other = ref[name] if ref else float("nan")
        diff = abs(mine - other) / abs(other) if ref else float("nan")
        worst = max(worst, diff) if ref else worst
        true = truth[name] if truth else float("nan")
        print(f"  {name:8s} {true:11.4f} {mine:11.4f} {other:11.4f} {diff:10.2e}")
    if ref:
        print(f"  max relative difference siyu vs lifetimes: {worst:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--lifetimes-timeout", type=float, default=600.0)
    parser.add_argument("--pareto-sample", type=int, default=100_000)
    args = parser.parse_args()
    timeout = args.lifetimes_timeout

    started = time.perf_counter()
    data = simulate(args.customers, args.seed)
    prep_seconds = time.perf_counter() - started
    rows = group_histories(data.frequency, data.recency, data.age)
    repeaters = data.frequency > 0
    print(
        f"simulated {args.customers:,} customers, {data.orders:,} orders, prepared in "
        f"{prep_seconds:.1f} s; {len(rows):,} distinct (x, t_x, T) rows; "
        f"{int(repeaters.sum()):,} customers with repeat purchases"
    )
    x, tx, age, money = data.frequency, data.recency, data.age, data.monetary
    gx, gtx, gage, gw = rows.frequency, rows.recency, rows.age, rows.count

    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    # BG/NBD
    ours_bg = measure(lambda: as_dict(BGNBDModel().fit(x, tx, age).params_), 600)
    bg_raw = measure(
        lambda: lifetimes_params(BetaGeoFitter().fit(x, tx, age), ("r", "alpha", "a", "b")),
        timeout,
    )
    bg_grouped = measure(
        lambda: lifetimes_params(
            BetaGeoFitter().fit(gx, gtx, gage, weights=gw), ("r", "alpha", "a", "b")
        ),
        timeout,
    )
    report(
        "BG/NBD",
        ours_bg,
        [
            (f"lifetimes BetaGeoFitter, all {args.customers:,} customers", bg_raw, 1.0),
            (f"lifetimes BetaGeoFitter, {len(rows):,} rows with weights=", bg_grouped, 1.0),
        ],
        TRUE_BG,
        bg_raw if bg_raw.params else bg_grouped,
    )

    # Pareto/NBD
    ours_pnbd = measure(lambda: as_dict(ParetoNBDModel().fit(x, tx, age).params_), 600)
    sample = np.random.default_rng(args.seed + 1).choice(
        x.size, size=min(args.pareto_sample, x.size), replace=False
    )
    pnbd_sample = measure(
        lambda: lifetimes_params(
            ParetoNBDFitter().fit(x[sample], tx[sample], age[sample]),
            ("r", "alpha", "s", "beta"),
        ),
        timeout,
    )
    pnbd_grouped = measure(
        lambda: lifetimes_params(
            ParetoNBDFitter().fit(gx, gtx, gage, weights=gw), ("r", "alpha", "s", "beta")
        ),
        timeout,
    )
    scale = x.size / sample.size
    report(
        "Pareto/NBD (fitted to the BG/NBD data: no true values)",
        ours_pnbd,
        [
            (
                f"lifetimes ParetoNBDFitter, {sample.size:,} sample x{scale:.0f} (extrapolated)",
                pnbd_sample,
                scale,
            ),
            (f"lifetimes ParetoNBDFitter, {len(rows):,} rows with weights=", pnbd_grouped, 1.0),
        ],
        None,
        pnbd_grouped,
    )

    # Gamma-Gamma
    fx, fm = x[repeaters], money[repeaters]
    ours_gg = measure(lambda: as_dict(GammaGammaModel().fit(x, money).params_), 600)
    gg_raw = measure(
        lambda: lifetimes_params(GammaGammaFitter().fit(fx, fm), ("p", "q", "gamma")), timeout
    )
    report(
        f"Gamma-Gamma ({fx.size:,} customers with repeat purchases)",
        ours_gg,
        [(f"lifetimes GammaGammaFitter, all {fx.size:,} customers", gg_raw, 1.0)],
        TRUE_GG,
        gg_raw,
    )

    # Per-customer value with the fitted models
    def value() -> dict[str, float]:
        bg = BGNBDModel().fit(x, tx, age)
        gg = GammaGammaModel().fit(x, money)
        started = time.perf_counter()
        result = customer_value(bg, gg, x, tx, age, money, periods=12, margin=0.3)
        return {"seconds": time.perf_counter() - started, "total_clv": float(result.clv.sum())}

    worth = measure(value, 600)
    if worth.params:
        print(
            f"\ncustomer_value (12 monthly periods, BG/NBD + Gamma-Gamma) on "
            f"{args.customers:,} customers: {worth.params['seconds']:.2f} s"
        )


if __name__ == "__main__":
    main()
