"""The brand's calendar: China-time days, months and years, in Python and as Ibis expressions.

Times are stored in UTC; a business day is a China day (UTC+8, no daylight saving). Inside
the engines a day is an integer, the number of China days since 1970-01-01, computed from
epoch seconds so no session time zone is involved; months and years come from that number
(the date of its UTC midnight, in the UTC sessions Ibis opens on DuckDB and Spark).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal

from ibis.expr.types import IntegerValue, TimestampValue

from siyu.kit.clock import CHINA_TZ

Grain = Literal["day", "month", "year"]
GRAINS: Final = ("day", "month", "year")
CHINA_OFFSET_SECONDS: Final = 8 * 3_600
SECONDS_PER_DAY: Final = 86_400
EPOCH: Final = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Return a date as its number of days since 1970-01-01."""
    return (day - EPOCH).days


def date_of(number: int) -> date:
    """Return the date of a day number."""
    return EPOCH + timedelta(days=number)


def china_date(moment: datetime) -> date:
    """Return the China date of an aware instant."""
    return moment.astimezone(CHINA_TZ).date()


def day_start(day: date) -> datetime:
    """Return the UTC instant at which a China day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).astimezone(UTC)


def month_index(day: date) -> int:
    """Return a month as one integer: ``year * 12 + month - 1``."""
    return day.year * 12 + day.month - 1


def month_of_index(index: int) -> date:
    """Return the first day of the month with this index."""
    return date(index // 12, index % 12 + 1, 1)


def month_label(index: int) -> str:
    """Return a month index as ``YYYY-MM``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True, slots=True)
class Period:
    """One China-time day, month or year, with its UTC bounds (``end`` exclusive)."""

    grain: Grain
    key: int  # day number, month index or year
    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The UTC instant the period begins."""
        return day_start(self.first)

    @property
    def end(self) -> datetime:
        """The UTC instant just after the period (exclusive bound)."""
        return day_start(self.last + timedelta(days=1))

    @property
    def until(self) -> datetime:
        """The last instant inside the period (for inclusive ``<=`` filters)."""
        return self.end - timedelta(microseconds=1)

    @property
    def label(self) -> str:
        """``2026-10-30``, ``2026-10`` or ``2026``."""
        if self.grain == "day":
            return self.first.isoformat()
        if self.grain == "month":
            return month_label(self.key)
        return str(self.key)

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` periods later (earlier when negative)."""
        if self.grain == "day":
            return period_of("day", self.first + timedelta(days=steps))
        if self.grain == "month":
            return period_of("month", month_of_index(self.key + steps))
        return period_of("year", date(self.key + steps, 1, 1))

    def a_year_earlier(self) -> Period:
        """The same day, month or year one year before (29 February → 28 February)."""
        if self.grain == "day":
            first = self.first
            day = 28 if (first.month, first.day) == (2, 29) else first.day
            return period_of("day", date(first.year - 1, first.month, day))
        return self.shifted(-12 if self.grain == "month" else -1)


def period_of(grain: Grain, day: date) -> Period:
    """Return the period of ``grain`` that contains ``day``."""
    if grain == "day":
        return Period("day", day_number(day), day, day)
    if grain == "month":
        first = day.replace(day=1)
        following = month_of_index(month_index(day) + 1)
        return Period("month", month_index(day), first, following - timedelta(days=1))
    return Period("year", day.year, date(day.year, 1, 1), date(day.year, 12, 31))


def periods_ending(last: Period, count: int) -> list[Period]:
    """Return ``count`` consecutive periods ending with ``last``, oldest first."""
    return [last.shifted(-back) for back in range(count - 1, -1, -1)]


def china_day(moment: TimestampValue) -> IntegerValue:
    """The China day number of a UTC timestamp column."""
    seconds: IntegerValue = moment.epoch_seconds()
    return (seconds + CHINA_OFFSET_SECONDS) // SECONDS_PER_DAY


def civil_year_month(day: IntegerValue) -> tuple[IntegerValue, IntegerValue]:
    """Year and month (1-12) of a day-number column.

    The day's UTC midnight carries the date; Ibis runs DuckDB and Spark sessions in UTC, so
    the extraction involves no local time zone. (Integer calendar arithmetic gives the same
    result but Ibis inlines every reused subexpression: the SQL grew to megabytes.)
    """
    midnight = (day * SECONDS_PER_DAY).as_timestamp("s")
    year: IntegerValue = midnight.year().cast("int64")
    month: IntegerValue = midnight.month().cast("int64")
    return year, month


def period_key(day: IntegerValue, grain: Grain) -> IntegerValue:
    """The period key (see ``Period.key``) of a day-number column."""
    if grain == "day":
        return day
    year, month = civil_year_month(day)
    return year * 12 + month - 1 if grain == "month" else year
