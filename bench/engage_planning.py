"""Campaign planning for a million customers with every contact rule applied.

Builds a store of N customers with published profiles, phone identities, SMS consents,
WeCom contacts and a month of earlier contacts, then plans an SMS campaign to all buyers:
the segment, the arms, and the contact policy's decision for every customer (consent,
reachability, stage rules, quiet hours, day/week/month caps overall, for promotions and per
channel, with competition against reserved contacts). Prints decisions per second, the time
of each step, and the pure decision engine alone.

    python bench/engage_planning.py --customers 1000000 [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade
from siyu.engage.campaigns import service as campaigns
from siyu.engage.campaigns.schemas import CampaignCreate, VariantSpec
from siyu.engage.campaigns.tasks import launch
from siyu.engage.policy import service as policy
from siyu.engage.policy.rules import (
    Audience,
    Candidates,
    Ledger,
    Limits,
    channel_code,
    decide,
)
from siyu.engage.policy.schemas import CHANNELS, STAGES, ContactPolicy
from siyu.models import (
    ConsentRecord,
    Contact,
    ContactTouch,
    Customer,
    CustomerProfile,
    Identity,
    StaffAccount,
    Workspace,
)
from siyu.segments import service as segments
from siyu.segments.schemas import SegmentCreate

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
CHUNK = 200_000


def _customers(session: Session, ws: int, n: int, rng: np.random.Generator) -> np.ndarray:
    first = NOW - timedelta(days=400)
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        bulk.insert_columns(session, Customer, {"first_seen_at": [first] * size},
                            {"workspace_id": ws})  # fmt: skip
    ids = np.arange(1, n + 1, dtype=np.int64)  # a fresh store numbers them 1..n
    stage = rng.choice(np.array(STAGES[1:], dtype=object), n, p=[0.3, 0.3, 0.2, 0.2])
    purchases = rng.integers(1, 8, n)
    for start in range(0, n, CHUNK):
        part = slice(start, start + CHUNK)
        size = len(ids[part])
        bulk.insert_columns(session, CustomerProfile, {
            "customer_id": ids[part].tolist(), "stage": stage[part].tolist(),
            "n_purchases": purchases[part].tolist(),
            "p_alive": rng.random(size).tolist(),
            "expected_spend_fen": rng.integers(5_000, 40_000, size).tolist(),
            "net_paid_fen": rng.integers(5_000, 200_000, size).tolist(),
            "days_since_purchase": rng.integers(1, 400, size).astype(float).tolist(),
        }, {"workspace_id": ws, "as_of": NOW.date(), "computed_at": NOW, "tier": "repeat",
            "rfm_r": 3, "rfm_f": 3, "rfm_m": 3, "rfm_segment": "loyal", "in_pool": True,
            "cycle_days": 60.0})  # fmt: skip
    return ids


def _facts(session: Session, ws: int, ids: np.ndarray, rng: np.random.Generator) -> None:
    n = ids.size
    staff = StaffAccount(workspace_id=ws, code="anna", name="anna", daily_capacity=500)
    session.add(staff)
    session.flush()
    for start in range(0, n, CHUNK):
        part = ids[start : start + CHUNK].tolist()
        size = len(part)
        bulk.insert_columns(session, Identity, {
            "customer_id": part, "blind_index": [f"b{c}" for c in part],
            "masked": ["138****0000"] * size,
        }, {"workspace_id": ws, "kind": "phone", "platform": "", "value_enc": b"x",
            "source": "bench"})  # fmt: skip
        granted = rng.random(size) < 0.8
        bulk.insert_columns(session, ConsentRecord, {
            "customer_id": part, "granted": granted.tolist(),
        }, {"workspace_id": ws, "channel": "sms", "purpose": "marketing", "source": "bench",
            "recorded_at": NOW - timedelta(days=90)})  # fmt: skip
        wecom = [c for c, ok in zip(part, rng.random(size) < 0.5, strict=True) if ok]
        bulk.insert_columns(session, Contact, {"customer_id": wecom}, {
            "workspace_id": ws, "carrier": "wecom", "carrier_ref": "anna",
            "staff_account_id": staff.id, "joined_at": NOW - timedelta(days=200),
            "updated_at": NOW})  # fmt: skip


def _touches(session: Session, ws: int, ids: np.ndarray, rng: np.random.Generator,
             share: float) -> int:  # fmt: skip
    who = ids[rng.random(ids.size) < share]
    days_back = rng.integers(-10, 25, who.size)
    planned = [NOW - timedelta(days=int(d)) for d in days_back]
    local = [(p + timedelta(hours=8)).date() for p in planned]
    status = np.where(days_back < 0, "reserved", "sent")
    for start in range(0, who.size, CHUNK):
        part = slice(start, start + CHUNK)
        bulk.insert_columns(session, ContactTouch, {
            "customer_id": who[part].tolist(), "planned_at": planned[part],
            "local_day": local[part], "status": status[part].tolist(),
            "value_fen": rng.random(len(planned[part])).tolist(),
            "is_promotion": (rng.random(len(planned[part])) < 0.4).tolist(),
            "channel": rng.choice(np.array(["sms", "wecom", "email"], dtype=object),
                                  len(planned[part])).tolist(),
        }, {"workspace_id": ws, "source_kind": "campaign", "created_at": NOW})  # fmt: skip
    return int(who.size)


def pure_decide(n: int, ledger_size: int) -> float:
    """Decisions per second of the decision engine alone (arrays in memory)."""
    rng = np.random.default_rng(2)
    consent = np.ones((n, 7), dtype=np.int8)
    audience = Audience(rng.integers(1, 5, n), np.full(n, 8 * 3600), consent,
                        np.ones((n, len(CHANNELS)), dtype=np.bool_))  # fmt: skip
    day = np.full(ledger_size, int(NOW.timestamp() // 86_400), dtype=np.int64)
    ledger = Ledger(rng.integers(0, n, ledger_size), np.full(ledger_size, channel_code("sms")),
                    rng.random(ledger_size) < 0.4, day - rng.integers(0, 25, ledger_size),
                    np.full(ledger_size, -1))  # fmt: skip
    cands = Candidates.build(np.arange(n), channel=channel_code("sms"), value=rng.random(n),
                             send_at=NOW.timestamp() + 86_400, promotion=True,
                             reschedule_days=2)  # fmt: skip
    started = time.perf_counter()
    decide(cands, audience, Limits.compile(ContactPolicy()), ledger=ledger)
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--touch-share", type=float, default=0.5)
    parser.add_argument("--url", default="")
    parser.add_argument("--launch", action="store_true", help="also launch it (writes)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    folder = Path(tempfile.mkdtemp(prefix="siyu-bench-"))
    url = args.url or f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    with unit_of_work(sessions) as session:
        workspace = Workspace(slug="bench", name="bench")
        session.add(workspace)
        session.flush()
        ws = workspace.id
        ids = _customers(session, ws, args.customers, rng)
        _facts(session, ws, ids, rng)
        touches = _touches(session, ws, ids, rng, args.touch_share)
        segments.create_segment(session, ws, SegmentCreate(code="buyers", rule="n_purchases >= 1"))
        campaigns.set_holdout(session, ws, 0.05)
        campaigns.create_campaign(session, ws, CampaignCreate(
            code="bench", segment="buyers", channel="sms", send_at=NOW + timedelta(days=1),
            offer="small", control_share=0.1, reschedule_days=2,
            variants=[VariantSpec(content={"text": "新品上市"})],
        ))  # fmt: skip
    built = time.perf_counter() - started
    print(f"store: {engine.url.get_backend_name()}, {args.customers:,} customers, "
          f"{touches:,} earlier contacts, built in {built:.1f} s")  # fmt: skip
    with sessions() as session:
        t0 = time.perf_counter()
        node = segments.segment_rule(session, ws, "buyers")
        count = segments.count_rule(session, ws, node, NOW, committed=True)
        t1 = time.perf_counter()
        campaign = campaigns.require_campaign(session, ws, "bench")
        people = campaigns.audience(session, ws, campaign, NOW, committed=True)
        t2 = time.perf_counter()
        request = campaigns._request(campaign, people)
        decided = policy.evaluate(session, ws, request, now=NOW, committed=True)
        t3 = time.perf_counter()
        plan = campaigns.plan(session, ws, "bench", NOW, committed=True)
    print(f"segment count: {count.count:,} of {count.total:,} in {t1 - t0:.2f} s")
    print(f"audience + arms + expected values: {t2 - t1:.2f} s")
    print(f"policy (load state + decide {people.ids.size:,}): {t3 - t2:.2f} s, "
          f"{int(decided.admitted.sum()):,} admitted")  # fmt: skip
    print(
        f"campaign plan end to end: {plan.seconds:.2f} s for {plan.audience:,} customers = "
        f"{plan.decisions_per_second:,.0f} decisions/s; held back: {plan.by_reason}"
    )
    print(f"pure decision engine: {pure_decide(args.customers, touches):,.0f} decisions/s")
    if args.launch:
        report = launch(sessions, ws, "bench", now=NOW)
        print(
            f"launch: {report.members:,} members, {report.queued:,} messages queued in "
            f"{report.seconds:.1f} s = {report.members / report.seconds:,.0f} customers/s"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB")
    _ = date


if __name__ == "__main__":
    main()
