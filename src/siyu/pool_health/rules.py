"""Pure rules of pool health: daily movements and retention from contact rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from siyu.kit.clock import CHINA_TZ

RETENTION_DAYS = 30


@dataclass(frozen=True, slots=True)
class Movement:
    """One contact as the figures see it."""

    joined_at: datetime
    left_at: datetime | None
    channel_id: int | None
    staff_id: int | None


def china_day(at: datetime) -> date:
    """The China calendar day of an instant."""
    return at.astimezone(CHINA_TZ).date()


def daily(
    movements: Iterable[Movement], *, start: date, end: date, by: str
) -> dict[tuple[date, int | None], tuple[int, int]]:
    """(joins, leaves) per (China day, channel or staff) for days in [start, end)."""
    joins: Counter[tuple[date, int | None]] = Counter()
    leaves: Counter[tuple[date, int | None]] = Counter()
    for m in movements:
        key = m.channel_id if by == "channel" else m.staff_id
        joined = china_day(m.joined_at)
        if start <= joined < end:
            joins[(joined, key)] += 1
        if m.left_at is not None and start <= (left := china_day(m.left_at)) < end:
            leaves[(left, key)] += 1
    return {k: (joins[k], leaves[k]) for k in sorted(set(joins) | set(leaves), key=_order)}


def _order(key: tuple[date, int | None]) -> tuple[date, int]:
    return key[0], key[1] if key[1] is not None else -1


def retention(
    movements: Iterable[Movement], *, now: datetime, days: int = RETENTION_DAYS
) -> dict[int | None, tuple[int, int]]:
    """(joiners old enough to judge, still there after `days`) per channel."""
    cohort: Counter[int | None] = Counter()
    kept: Counter[int | None] = Counter()
    horizon = timedelta(days=days)
    for m in movements:
        if m.joined_at + horizon > now:
            continue
        cohort[m.channel_id] += 1
        if m.left_at is None or m.left_at - m.joined_at >= horizon:
            kept[m.channel_id] += 1
    return {k: (cohort[k], kept[k]) for k in cohort}
