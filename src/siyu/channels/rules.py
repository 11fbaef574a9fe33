"""Pure rules of channel codes: code names, who gets the next joiner, how a join is attributed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from siyu.kit.clock import CHINA_TZ

CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,30}")  # WeCom's state: at most 30 characters
ROUTINGS = ("round_robin", "least_loaded")
STATUSES = ("active", "paused", "archived")


class Outcome:
    """How a join was attributed (the `channel_join.outcome` vocabulary)."""

    ATTRIBUTED = "attributed"  # an active code within its dates
    EXPIRED_CODE = "expired_code"  # the code ended or was archived: channel kept, flagged
    PAUSED_CODE = "paused_code"  # the code was paused: channel kept, flagged
    STAFF_INACTIVE = "staff_inactive"  # added a staff account removed from service
    UNKNOWN_CODE = "unknown_code"  # a state siyu does not know: no channel
    NO_CODE = "no_code"  # added without a code (search, business card): no channel
    REFERRAL = "referral"  # the state is a referral code


def valid_code(code: str) -> bool:
    """True when `code` can be a WeCom contact-way state (1-30 of A-Z a-z 0-9 _ -)."""
    return CODE_PATTERN.fullmatch(code) is not None


@dataclass(frozen=True, slots=True)
class CodeWindow:
    """What attribution needs to know about a code."""

    status: str
    starts_at: datetime | None
    ends_at: datetime | None


def join_outcome(code: CodeWindow | None, *, state: str, at: datetime, staff_active: bool) -> str:
    """Attribute a join: unknown or missing codes land without a channel, never get lost."""
    if code is None:
        return Outcome.UNKNOWN_CODE if state else Outcome.NO_CODE
    if code.status == "archived" or (code.ends_at is not None and at > code.ends_at):
        return Outcome.EXPIRED_CODE
    if code.status == "paused" or (code.starts_at is not None and at < code.starts_at):
        return Outcome.PAUSED_CODE
    if not staff_active:
        return Outcome.STAFF_INACTIVE
    return Outcome.ATTRIBUTED


LIVE, PAUSED, EXPIRED, UNKNOWN, UNAVAILABLE = "live", "paused", "expired", "unknown", "unavailable"
ORDER_TOKEN = re.compile(r"[0-9a-f]{1,16}")


def landing_state(code: CodeWindow, at: datetime) -> str:
    """What a code's landing page shows at `at`: live, paused (or not started) or expired."""
    if code.status == "archived" or (code.ends_at is not None and at > code.ends_at):
        return EXPIRED
    if code.status == "paused" or (code.starts_at is not None and at < code.starts_at):
        return PAUSED
    return LIVE


def order_token(text: str | None) -> str:
    """The `?o=` token of an insert card when it has the shape siyu prints, else ""."""
    return text if text and ORDER_TOKEN.fullmatch(text) else ""


@dataclass(frozen=True, slots=True)
class Shift:
    """A working window on one weekday, in minutes after midnight China time."""

    weekday: int
    start_minute: int
    end_minute: int


def on_shift(shifts: Sequence[Shift], at: datetime) -> bool:
    """True when `at` falls in one of the shifts; an account without shifts always works."""
    if not shifts:
        return True
    local = at.astimezone(CHINA_TZ)
    minute = local.hour * 60 + local.minute
    return any(
        s.weekday == local.weekday() and s.start_minute <= minute < s.end_minute for s in shifts
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A staff account in a code's pool, with its state at the moment of routing."""

    staff_id: int
    position: int
    backup: bool
    active: bool
    shifts: tuple[Shift, ...]
    joins_today: int
    capacity: int
    open_contacts: int = 0

    def available(self, at: datetime) -> bool:
        """Active, on shift and under today's add limit."""
        return self.active and self.joins_today < self.capacity and on_shift(self.shifts, at)


@dataclass(frozen=True, slots=True)
class Pick:
    """The staff account chosen for the next joiner and the code's next rotation position."""

    staff_id: int
    next_position: int
    backup: bool


def pick_staff(
    candidates: Sequence[Candidate], *, routing: str, position: int, at: datetime
) -> Pick | None:
    """Choose the staff account for the next joiner; backups only when no primary is available.

    Round robin walks the primaries in order from the code's position; least loaded takes the
    lowest share of today's add limit, then the fewest open contacts. None when nobody at all
    is available (the caller shows the brand's fallback).
    """
    for backup in (False, True):
        pool = sorted((c for c in candidates if c.backup == backup), key=lambda c: c.position)
        if not any(c.available(at) for c in pool):
            continue
        if routing == "least_loaded":
            chosen = min(
                (c for c in pool if c.available(at)),
                key=lambda c: (c.joins_today / max(c.capacity, 1), c.open_contacts, c.position),
            )
            return Pick(chosen.staff_id, position, backup)
        n = len(pool)
        for step in range(n):
            index = (position + step) % n
            if pool[index].available(at):
                return Pick(
                    pool[index].staff_id, (index + 1) % n if not backup else position, backup
                )
    return None


def available_staff(candidates: Sequence[Candidate], at: datetime) -> list[int]:
    """Staff a multi-person WeCom contact way should hold now (primaries, else backups)."""
    for backup in (False, True):
        found = [
            c.staff_id
            for c in sorted(candidates, key=lambda c: c.position)
            if c.backup == backup and c.available(at)
        ]
        if found:
            return found
    return []


def parse_shifts(text: str) -> list[Shift]:
    """Parse "1-5 09:00-18:00; 6 10:00-16:00" (weekdays 1=Monday…7=Sunday) into shifts."""
    shifts: list[Shift] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = re.fullmatch(r"([1-7])(?:-([1-7]))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", part)
        if match is None:
            raise ValueError(f"not a shift: {part!r} (e.g. '1-5 09:00-18:00')")
        first, last = int(match[1]), int(match[2] or match[1])
        start, end = int(match[3]) * 60 + int(match[4]), int(match[5]) * 60 + int(match[6])
        if last < first or not 0 <= start < end <= 24 * 60:
            raise ValueError(f"not a shift: {part!r}")
        shifts.extend(Shift(day - 1, start, end) for day in range(first, last + 1))
    return shifts
