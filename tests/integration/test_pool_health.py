"""Pool health on both databases: daily moves, alert list, quality next to size."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from siyu.channels import service as channels
from siyu.channels.schemas import ChannelCodeCreate
from siyu.pool_health.service import deleted_staff_alerts, movements_by_day, quality
from tests.fixtures import pool

NOW = datetime(2026, 3, 10, 4, tzinfo=UTC)  # 12:00 in Shanghai


def _setup(session: Session, ws: int) -> None:
    for code in ("wecom_a", "wecom_b"):
        pool.staff(session, workspace_id=ws, code=code)
    for code, channel, cost in (("red_q1", "red_envelope_card", 300), ("cs_q1", "cs_invite", 0)):
        channels.create_code(
            session,
            ws,
            ChannelCodeCreate(
                code=code,
                name=code,
                channel=channel,
                staff=["wecom_a", "wecom_b"],
                cost_per_join_fen=cost,
            ),
        )


def _join(
    session: Session,
    ws: int,
    state: str,
    staff: str,
    at: datetime,
    *,
    left_days: float | None = None,
    clv: int | None = None,
    purchases: int = 0,
) -> int:
    who = pool.customer(session, workspace_id=ws)
    landing = channels.land_join(
        session,
        ws,
        customer_id=who,
        staff=channels.require_staff(session, ws, staff),
        state=state,
        joined_at=at,
    )
    if left_days is not None:
        channels.end_contact(
            session,
            ws,
            customer_id=who,
            staff=channels.require_staff(session, ws, staff),
            at=at + timedelta(days=left_days),
            reason="deleted_by_customer",
        )
    pool.profile(
        session,
        workspace_id=ws,
        customer_id=who,
        in_pool=left_days is None,
        n_purchases=purchases,
        clv_fen=clv,
        p_alive=0.5 if purchases else 0.1,
    )
    assert landing.created
    return who


def test_moves_alerts_and_quality(session: Session, workspace_id: int) -> None:
    ws = workspace_id
    _setup(session, ws)
    # red-envelope hunters: many join, most delete within days, few buy
    hunters = [
        _join(
            session,
            ws,
            "red_q1",
            "wecom_a",
            NOW - timedelta(days=40 + i),
            left_days=2 if i % 4 else None,
        )
        for i in range(8)
    ]
    # customer-service invites: fewer, they stay and buy
    buyers = [
        _join(
            session,
            ws,
            "cs_q1",
            "wecom_b",
            NOW - timedelta(days=35 + i),
            clv=50_000 + i,
            purchases=3,
        )
        for i in range(4)
    ]
    recent = _join(
        session,
        ws,
        "red_q1",
        "wecom_b",
        NOW - timedelta(hours=30),
        left_days=1,
        clv=90_000,
        purchases=1,
    )

    by_channel = movements_by_day(session, ws, now=NOW, days=3, by="channel")
    assert [(r.day, r.key, r.joins, r.leaves) for r in by_channel] == [
        (date(2026, 3, 9), "red_envelope_card", 1, 0),
        (date(2026, 3, 10), "red_envelope_card", 0, 1),
    ]
    by_staff = movements_by_day(session, ws, now=NOW, days=60, by="staff")
    assert sum(r.joins for r in by_staff if r.key == "wecom_a") == 8
    assert sum(r.leaves for r in by_staff if r.key == "wecom_a") == 6

    alerts = deleted_staff_alerts(session, ws, since=NOW - timedelta(days=7))
    assert [(a.customer_id, a.staff, a.channel) for a in alerts] == [
        (recent, "wecom_b", "red_envelope_card")
    ]
    assert round(alerts[0].days_in_pool) == 1 and alerts[0].clv_fen == 90_000
    everyone = deleted_staff_alerts(session, ws, since=NOW - timedelta(days=90))
    assert everyone[0].customer_id == recent and len(everyone) == 7

    rows = {q.channel: q for q in quality(session, ws, now=NOW)}
    red, cs = rows["red_envelope_card"], rows["cs_invite"]
    assert (red.in_pool, cs.in_pool) == (2, 4)
    assert (red.buyers_share, cs.buyers_share, cs.repeat_share) == (0.0, 1.0, 1.0)
    assert red.retention_30d == 2 / 8 and cs.retention_30d == 1.0
    assert red.cost_fen_90d == 9 * 300 and red.cost_per_retained_fen == 9 * 300 / 2
    assert cs.mean_clv_fen is not None and cs.mean_clv_fen > 50_000
    assert set(hunters) and set(buyers)
