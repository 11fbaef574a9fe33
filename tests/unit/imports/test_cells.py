"""Cell rules: the disguises real exports use for ids, empties, amounts and times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.imports.cells import (
    CellError,
    check_id,
    clean,
    clean_header,
    parse_fen,
    parse_quantity,
    parse_time,
)
from siyu.kit.money import format_yuan

CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('="3829104756618352047"', "3829104756618352047"),
        ("'4920385716", "4920385716"),
        ("`4920385716", "4920385716"),
        ("\t3829104756\t", "3829104756"),
        ("NULL", ""),
        ("null", ""),
        ("——", ""),
        ("-", ""),
        (" ", ""),
        ("无退款申请", ""),
        ("N/A", ""),
        ("交易成功", "交易成功"),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_clean_header() -> None:
    assert clean_header('\ufeff"订单编号 "') == "订单编号"
    assert clean_header("  `售后状态`") == "售后状态"


@pytest.mark.parametrize(
    ("raw", "fen"),
    [
        ("158.00", 15800),
        ("¥2,598.00", 259800),
        ("￥79.8", 7980),
        ("1,234.50元", 123450),
        ("88.50 (含运费)", 8850),
        ("88.50（含运费）", 8850),
        ("0", 0),
        ("-5", -500),
    ],
)
def test_parse_fen(raw: str, fen: int) -> None:
    assert parse_fen(raw) == fen


@pytest.mark.parametrize("raw", ["#VALUE!", "12.345", "abc", "1.2.3", "NaN", "inf"])
def test_parse_fen_rejects(raw: str) -> None:
    with pytest.raises(CellError):
        parse_fen(raw)


@given(st.integers(min_value=0, max_value=10**12))
def test_any_amount_written_like_an_export_reads_back_exactly(fen: int) -> None:
    plain = f"{fen // 100}.{fen % 100:02d}"
    assert parse_fen(plain) == fen
    assert parse_fen(format_yuan(fen)) == fen
    assert parse_fen(f"￥{plain}元") == fen


@pytest.mark.parametrize("raw", ["3.82912E+18", "3829104756618350000.0", "4.9e9"])
def test_ids_damaged_by_excel_are_refused(raw: str) -> None:
    with pytest.raises(CellError, match="damaged by Excel"):
        check_id(raw)


def test_quantities() -> None:
    assert parse_quantity("2") == 2
    assert parse_quantity("2.0") == 2
    assert parse_quantity("3件") == 3
    for bad in ("-1", "0", "1.5", "x"):
        with pytest.raises(CellError):
            parse_quantity(bad)


def test_times_are_utc_and_naive_ones_are_china_time() -> None:
    formats = ("%Y/%m/%d %H:%M",)
    expected = datetime(2024, 3, 1, 1, 15, 32, tzinfo=UTC)
    assert parse_time("2024-03-01 09:15:32", default_tz=CST, formats=formats) == expected
    assert parse_time("2024-03-01T09:15:32+08:00", default_tz=UTC, formats=()) == expected
    assert parse_time("2024-03-01 09:15:32 +0800", default_tz=UTC, formats=()) == expected
    assert parse_time("2024/3/1 09:15", default_tz=CST, formats=formats).minute == 15
    with pytest.raises(CellError, match="not a date/time"):
        parse_time("2024-02-30 10:00:00", default_tz=CST, formats=formats)
