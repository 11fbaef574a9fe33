"""Pool health figures for the team (never writes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from siyu.kit.clock import CHINA_TZ
from siyu.pool_health import repository
from siyu.pool_health.rules import Movement, china_day, daily, retention


@dataclass(frozen=True, slots=True)
class DayRow:
    """Joins and leaves of one channel or staff account on one China day."""

    day: date
    key: str
    joins: int
    leaves: int


def _start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), CHINA_TZ)


def movements_by_day(
    session: Session, workspace_id: int, *, now: datetime, days: int, by: str
) -> list[DayRow]:
    """Joins and leaves per China day per channel ("channel") or staff account ("staff")."""
    end = china_day(now) + timedelta(days=1)
    start = end - timedelta(days=days)
    rows = repository.movements(session, workspace_id, _start(start))
    names = (
        {k: v[0] for k, v in repository.channel_names(session, workspace_id).items()}
        if by == "channel"
        else repository.staff_codes(session, workspace_id)
    )
    found = daily([Movement(*r) for r in rows], start=start, end=end, by=by)
    return [
        DayRow(day, names.get(key, "–") if key is not None else "–", joins, leaves)
        for (day, key), (joins, leaves) in found.items()
    ]


@dataclass(frozen=True, slots=True)
class Alert:
    """A customer who deleted (or blocked) a staff account: for the staff to follow up."""

    customer_id: int
    staff: str
    channel: str
    joined_at: datetime
    left_at: datetime
    days_in_pool: float
    clv_fen: int | None
    tier: str


def deleted_staff_alerts(session: Session, workspace_id: int, *, since: datetime) -> list[Alert]:
    """Customers who deleted a staff account since a moment, most valuable first."""
    alerts = [
        Alert(
            r[0],
            r[1] or "–",
            r[2] or "–",
            r[3],
            r[4],
            (r[4] - r[3]).total_seconds() / 86_400,
            r[5],
            r[6] or "",
        )
        for r in repository.deleted_by_customers(session, workspace_id, since)
    ]
    return sorted(alerts, key=lambda a: (-(a.clv_fen or 0), a.left_at))


@dataclass(frozen=True, slots=True)
class ChannelQuality:
    """A channel's part of the pool: size next to quality and cost."""

    channel: str
    name: str
    in_pool: int
    buyers_share: float
    repeat_share: float
    mean_clv_fen: float | None
    mean_p_alive: float | None
    retention_30d: float | None
    cost_fen_90d: int
    cost_per_retained_fen: float | None


def quality(session: Session, workspace_id: int, *, now: datetime) -> list[ChannelQuality]:
    """Per channel: how many are in the pool and how good they are (profiles, retention, cost)."""
    names = repository.channel_names(session, workspace_id)
    window_start = now - timedelta(days=120)  # joiners of the last 120 days, judged at 30
    cohort = retention(
        [Movement(*r) for r in repository.joined_between(session, workspace_id, window_start, now)],
        now=now,
    )
    today = china_day(now)
    costs = repository.costs_by_channel(
        session, workspace_id, today - timedelta(days=90), today + timedelta(days=1)
    )
    result = []
    for (
        channel_id,
        size,
        buyers,
        repeaters,
        clv,
        p_alive,
        profiled,
    ) in repository.quality_by_channel(session, workspace_id):
        judged, kept = cohort.get(channel_id, (0, 0))
        cost = costs.get(channel_id, 0) if channel_id is not None else 0
        code, name = names.get(channel_id, ("–", "")) if channel_id is not None else ("–", "")
        result.append(
            ChannelQuality(
                channel=code,
                name=name,
                in_pool=int(size),
                buyers_share=int(buyers or 0) / profiled if profiled else 0.0,
                repeat_share=int(repeaters or 0) / profiled if profiled else 0.0,
                mean_clv_fen=float(clv) if clv is not None else None,
                mean_p_alive=float(p_alive) if p_alive is not None else None,
                retention_30d=kept / judged if judged else None,
                cost_fen_90d=cost,
                cost_per_retained_fen=cost / kept if kept and cost else None,
            )
        )
    return sorted(result, key=lambda q: -q.in_pool)


def default_now(session: Session, workspace_id: int, now: datetime) -> datetime:
    """`now`, or the latest join or leave when the data stops earlier (an imported history)."""
    latest = repository.latest_movement(session, workspace_id)
    return min(now, latest) if latest is not None else now
