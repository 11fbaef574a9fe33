from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import ibis
import pytest

from siyu.analytics.periods import (
    Period,
    civil_year_month,
    day_number,
    period_of,
    periods_ending,
)


def test_china_day_boundaries_in_utc() -> None:
    day = period_of("day", date(2026, 2, 1))
    assert day.start == datetime(2026, 1, 31, 16, tzinfo=UTC)
    assert day.end == datetime(2026, 2, 1, 16, tzinfo=UTC)
    assert day.until == day.end - timedelta(microseconds=1)
    assert day.label == "2026-02-01"


def test_months_and_years() -> None:
    feb = period_of("month", date(2024, 2, 17))
    assert (feb.first, feb.last, feb.label) == (date(2024, 2, 1), date(2024, 2, 29), "2024-02")
    assert feb.shifted(-2).label == "2023-12" and feb.a_year_earlier().label == "2023-02"
    year = period_of("year", date(2026, 7, 1))
    assert (year.first, year.last, year.key) == (date(2026, 1, 1), date(2026, 12, 31), 2026)
    leap = period_of("day", date(2024, 2, 29)).a_year_earlier()
    assert leap.first == date(2023, 2, 28)
    months = periods_ending(period_of("month", date(2026, 2, 1)), 3)
    assert [m.label for m in months] == ["2025-12", "2026-01", "2026-02"]


def test_period_is_frozen() -> None:
    with pytest.raises(AttributeError):
        period_of("day", date(2026, 1, 1)).key = 3  # type: ignore[misc]
    assert isinstance(period_of("day", date(2026, 1, 1)), Period)


def test_civil_arithmetic_matches_the_calendar_on_the_engine() -> None:
    days = list(range(day_number(date(1999, 12, 25)), day_number(date(2030, 3, 5)), 13))
    days += [day_number(date(2000, 2, 29)), day_number(date(2100, 3, 1))]
    table = ibis.memtable({"day": days})
    year, month = civil_year_month(table.day)
    frame = table.mutate(year=year, month=month).execute()
    for day, y, m in zip(frame["day"], frame["year"], frame["month"], strict=True):
        expected = date(1970, 1, 1) + timedelta(days=int(day))
        assert (y, m) == (expected.year, expected.month)
