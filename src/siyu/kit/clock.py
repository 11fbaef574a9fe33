"""Time helpers: everything stored is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)


def plausible_day(day: date) -> date:
    """The day, when a brand's data can hold it: windows around it must stay valid dates."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"a day from {FIRST_DAY} to {LAST_DAY}")
    return day


Day = Annotated[date, AfterValidator(plausible_day)]
"""A day sent in a request: 0001-01-01 or 9999-12-31 would overflow the windows around it."""
