"""Report tables and files show exactly the analytics results (small hand-worked brand)."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import ibis
import openpyxl
import pytest
from ibis.expr.types import Table

from siyu.analytics.channels import channel_economics
from siyu.analytics.cohorts import ladder_migration, purchase_cohorts
from siyu.analytics.operating import operating_series
from siyu.analytics.periods import day_start, period_of, periods_ending
from siyu.analytics.repurchase import repurchase_figures
from siyu.reports import exports, rules, summary
from siyu.reports.repository import Named
from siyu.reports.schemas import Report
from siyu.reports.service import compute_figures, report_day
from siyu.scoring.features import gross_margin
from siyu.warehouse.engine import connect, tables
from tests.fixtures.snapshot import small_brand

MARCH = period_of("month", date(2026, 3, 1))
CHANNELS = {1: Named("red", "加微领红包", "package_card"), 2: Named("cs", "客服邀请", "cs")}
PRODUCTS = {101: Named("T-1", "试饮装", "trial"), 201: Named("P-1", "正装", "profit")}


@pytest.fixture(scope="module")
def brand(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Table]:
    return tables(connect("duckdb"), small_brand().write(tmp_path_factory.mktemp("snap")))


@pytest.fixture(scope="module")
def report(brand: dict[str, Table]) -> Report:
    clv = ibis.memtable({"customer_id": [1, 4], "clv_fen": [5_000, 1_000]})
    figures = compute_figures(brand, MARCH, clv=clv, clv_as_of=date(2026, 4, 1))
    sections = rules.sections(figures, CHANNELS, PRODUCTS, "zh-CN")
    return Report("month", figures, sections, datetime(2026, 4, 1, tzinfo=UTC))


def test_windows_and_parsing() -> None:
    assert rules.window_first(MARCH) == date(2025, 4, 1)
    assert rules.window_first(period_of("year", date(2026, 5, 5))) == date(2026, 1, 1)
    assert rules.window_first(period_of("day", date(2026, 3, 9))) == date(2025, 4, 1)
    assert rules.parse_day("2026-03") == date(2026, 3, 1) == rules.parse_day("2026-03-01")
    assert rules.parse_day("2026") == date(2026, 1, 1)
    with pytest.raises(ValueError):
        rules.parse_day("March")


def test_formats() -> None:
    assert rules.format_cell(123_456, "fen") == "¥1,234.56"
    assert rules.format_cell(10.5, "fen") == "¥0.10"  # half to even: a fraction of a fen
    assert rules.format_cell(0.1234, "share") == "12.3%"
    assert rules.format_cell(None, "count") == "—" and rules.format_cell(22.5, "days") == "22.5"
    assert rules.format_change(0.30, 0.25, "share") == "+5.0 pp"
    assert rules.format_change(110, 100, "fen") == "+10.0%"
    assert rules.format_change(5, 0, "count") == "—"
    assert rules.machine_value(-123_456, "fen") == "-1234.56"
    assert rules.machine_value(2 / 3, "share") == "0.666667"
    assert rules.machine_value(None, "count") == ""


def test_default_day_is_yesterday_or_the_last_order(brand: dict[str, Table]) -> None:
    assert report_day(brand["orders"], None, date(2026, 3, 10)) == date(2026, 3, 9)
    assert report_day(brand["orders"], None, date(2026, 6, 1)) == date(2026, 3, 31)
    assert report_day(brand["orders"], date(2025, 1, 1), date(2026, 6, 1)) == date(2025, 1, 1)


def test_tables_show_the_analytics_results(report: Report, brand: dict[str, Table]) -> None:
    end = MARCH.until
    march, february, a_year_earlier = operating_series(
        brand, [MARCH, MARCH.shifted(-1), MARCH.a_year_earlier()]
    )
    overview = report.section("overview")
    assert overview.rows[0] == rules.operating_row(march)
    assert overview.rows[1] == rules.operating_row(february)
    assert overview.rows[2] == rules.operating_row(a_year_earlier)
    trend = report.section("trend")
    expected = operating_series(brand, periods_ending(MARCH, 12))
    assert trend.rows == tuple(rules.operating_row(f) for f in expected)
    assert overview.value(0, "gmv") == 27_000 and overview.value(0, "conversion") == 0.5
    r = repurchase_figures(brand["orders"], end)
    assert report.section("repurchase").rows[0] == (5, 3, 0.6, 13.0, 15.8)
    assert report.section("funnel").column_values("customers") == list(r.funnel)
    cohorts = purchase_cohorts(brand["orders"], end, first_cohort=date(2025, 4, 1))
    retention = report.section("cohorts_purchase")
    assert retention.column_values("size") == cohorts.sizes.tolist()
    assert retention.rows[0][2:5] == (1.0, 0.5, 0.5) and retention.rows[0][5] is None
    ladder = ladder_migration(brand, MARCH.start - timedelta(microseconds=1), end)
    assert report.section("ladder_moves").rows[0][:3] == (
        ladder.moved_up, ladder.moved_down, ladder.stayed,
    )  # fmt: skip
    margin = gross_margin(brand["order_lines"])
    clv = ibis.memtable({"customer_id": [1, 4], "clv_fen": [5_000, 1_000]})
    channels = channel_economics(brand, end, joined_from=day_start(date(2025, 4, 1)),
                                 clv=clv, margin=margin)  # fmt: skip
    section = report.section("channels")
    red = next(f for f in channels if f.channel_id == 1)
    row = section.rows[section.column_values("code").index("red")]
    assert row == rules.channel_row(red, CHANNELS, "zh-CN")
    assert section.column_values("code")[-1] == "（无渠道）"
    pool = report.section("pool").rows[0]
    assert pool == (3, 3, 1.0, 2, 6_000, 2_000)


def test_product_tables(report: Report) -> None:
    products = report.section("products")
    assert products.column_values("sku") == ["T-1", "#102", "P-1"]
    assert products.column_values("role") == ["体验装", "引流款", "利润款"]
    assert products.rows[0][3:] == (3, 27_000, 3, 0.6, 1.0, 2 / 3, 1, 5_000, 1 / 3)
    roles = report.section("product_roles")
    assert roles.column_values("role") == ["引流款", "体验装", "利润款"]


def test_csv_holds_every_cell(report: Report, tmp_path: Path) -> None:
    path = exports.write_csv(report, tmp_path / "r.csv", "en")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    with path.open(encoding="utf-8-sig") as f:
        lines = list(csv.DictReader(f))
    cells = sum(len(s.rows) * len(s.columns) for s in report.sections)
    assert len(lines) == cells
    gmv = next(r for r in lines if r["section"] == "overview" and r["column"] == "gmv")
    assert (gmv["row"], gmv["value"], gmv["unit"]) == ("2026-03", "270.00", "yuan")


def test_xlsx_keeps_numbers(report: Report, tmp_path: Path) -> None:
    path = exports.write_xlsx(report, tmp_path / "r.xlsx", "zh-CN", "私域月报")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "私域月报" and "渠道经济" in book.sheetnames
    sheet = book["经营概览"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["期间", "GMV"]
    assert sheet["B2"].value == 270.0 and sheet["B2"].number_format == "#,##0.00"
    share = sheet.cell(row=2, column=header.index("池内转化率") + 1)
    assert share.value == 0.5 and share.number_format == "0.0%"


def test_html_is_one_self_contained_page(report: Report, tmp_path: Path) -> None:
    path = summary.write_html(report, tmp_path / "r.html", "zh-CN", "私域月报")
    text = path.read_text(encoding="utf-8")
    assert text.count("<svg") == 4 and "<script" not in text and "<link" not in text
    assert set(re.findall(r"https?://[^\"' )]+", text)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink",
    }  # fmt: skip
    assert "¥270.00" in text and "私域月报" in text and "STSong" not in text


def test_pdf_is_one_page(report: Report, tmp_path: Path) -> None:
    path = summary.write_pdf(report, tmp_path / "r.pdf", "zh-CN", "私域月报")
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and b"STSong-Light" in data
    assert len(re.findall(rb"/Type /Page\b(?!s)", data)) == 1
