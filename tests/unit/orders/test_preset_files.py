"""The built-in order presets: their schema, and their agreement with the sample exports."""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[3]
try:
    from tests.fixtures import exports
except ModuleNotFoundError:  # the repository root is not on sys.path under this import mode
    sys.path.insert(0, str(ROOT))
    from tests.fixtures import exports

PRESET_DIR = ROOT / "src" / "siyu" / "orders" / "presets"

PLATFORMS = {
    "tmall",
    "taobao",
    "jd",
    "douyin",
    "pdd",
    "shopify",
    "offline",
    "mini_program",
    "app",
    "wecom",
    "other",
}
STATUSES = {"pending_payment", "paid", "shipped", "completed", "closed"}
ORDER_FIELDS = {
    "order_id",
    "ordered_at",
    "paid_at",
    "completed_at",
    "status",
    "buyer_id",
    "email",
    "phone",
    "unionid",
    "receiver_name",
    "address",
    "province",
    "city",
    "order_amount",
    "shipping",
    "discount",
    "order_refund",
    "refunded_at",
    "shop_name",
    "currency",
}
LINE_FIELDS = {
    "line_id",
    "sku",
    "product_id",
    "product_name",
    "quantity",
    "unit_price",
    "line_amount",
    "line_refund",
    "line_refund_status",
}
REQUIRED_KEYS = {
    "name",
    "platform",
    "grain",
    "order_fields_on_first_row_only",
    "order_amount_from",
    "timezone",
    "time_formats",
    "currency",
    "detect",
    "required",
    "columns",
    "status_map",
}
OPTIONAL_KEYS = {"refund_status_map"}
# The tmall sample has Taobao's headers: detection names taobao, and the user names tmall.
DETECTED_AS = {name: ("taobao" if name == "tmall" else name) for name in exports.PRESET_NAMES}


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    return data


PRESETS: dict[str, dict[str, Any]] = {
    path.stem: _load(path) for path in sorted(PRESET_DIR.glob("*.yaml"))
}


def clean_header(name: str) -> str:
    return name.strip(" \t\ufeff\u3000\"'`")


def read_table(path: Path) -> list[list[str]]:
    """All rows of a CSV (utf-8-sig, then gb18030) or of an XLSX's first sheet, as text."""
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        try:
            rows = book.active.iter_rows(values_only=True)
            return [["" if v is None else str(v) for v in row] for row in rows]
        finally:
            book.close()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return list(csv.reader(io.StringIO(text, newline="")))


def header_index(table: list[list[str]]) -> dict[str, int]:
    return {clean_header(name): i for i, name in enumerate(table[0])}


def column_of(preset: dict[str, Any], field: str, headers: dict[str, int]) -> int | None:
    """Index of the first alias of a field present in the file (first found wins)."""
    for alias in preset["columns"].get(field, []):
        if alias in headers:
            return headers[alias]
    return None


def detect(headers: set[str]) -> list[str]:
    return sorted(
        name for name, p in PRESETS.items() if p["detect"] and set(p["detect"]) <= headers
    )


def bare_id(value: str) -> str:
    """An id without its platform's text protection (="…", ' or `, a tab)."""
    value = value.strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    return value.lstrip("'`").strip()


# ------------------------------------------------------------------------------- schema


def test_every_builtin_preset_has_a_file() -> None:
    assert set(PRESETS) == set(exports.PRESET_NAMES)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_schema(name: str) -> None:
    p = PRESETS[name]
    assert REQUIRED_KEYS <= set(p) <= REQUIRED_KEYS | OPTIONAL_KEYS
    assert p["name"] == name
    assert p["platform"] in PLATFORMS
    assert p["grain"] in {"order", "line"}
    assert isinstance(p["order_fields_on_first_row_only"], bool)
    assert p["order_amount_from"] in {"column", "lines"}
    assert isinstance(p["timezone"], str)
    assert re.fullmatch(r"[+-]\d\d:\d\d", p["timezone"])
    assert isinstance(p["currency"], str)
    assert re.fullmatch(r"[A-Z]{3}", p["currency"])
    for key in ("time_formats", "detect", "required"):
        assert isinstance(p[key], list)
        assert all(isinstance(item, str) and item for item in p[key]), key
    assert p["time_formats"]
    assert set(p["required"]) <= ORDER_FIELDS | LINE_FIELDS
    assert {"order_id", "ordered_at", "status"} <= set(p["required"])

    columns = p["columns"]
    assert isinstance(columns, dict)
    assert set(columns) <= ORDER_FIELDS | LINE_FIELDS, set(columns) - ORDER_FIELDS - LINE_FIELDS
    for field, aliases in columns.items():
        assert isinstance(aliases, list), field
        assert aliases, f"{field} has no alias"
        assert all(isinstance(a, str) and a == clean_header(a) and a for a in aliases), field
        assert len(aliases) == len(set(aliases)), field
    for field in p["required"]:
        assert columns.get(field), f"required {field} has no alias"

    status_map = p["status_map"]
    assert isinstance(status_map, dict)
    assert status_map
    for raw, status in status_map.items():
        assert isinstance(raw, str), raw
        assert raw == raw.strip()
        assert status in STATUSES, (raw, status)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_amount_and_grain_settings_agree(name: str) -> None:
    p = PRESETS[name]
    if p["order_amount_from"] == "lines":
        assert p["grain"] == "line"
        assert "line_amount" in p["required"]
    else:
        assert "order_amount" in p["required"]
    if p["order_fields_on_first_row_only"]:
        assert p["grain"] == "line"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_refund_status_map(name: str) -> None:
    p = PRESETS[name]
    mapped = "line_refund_status" in p["columns"]
    assert ("refund_status_map" in p) == mapped
    for raw, value in p.get("refund_status_map", {}).items():
        assert isinstance(raw, str), raw
        assert value in {"full", "none"}, (raw, value)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_no_alias_under_two_fields(name: str) -> None:
    owner: dict[str, str] = {}
    for field, aliases in PRESETS[name]["columns"].items():
        for alias in aliases:
            assert alias not in owner, f"{alias!r} under both {owner[alias]} and {field}"
            owner[alias] = field


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_detect_headers_are_aliases(name: str) -> None:
    aliases = {a for names in PRESETS[name]["columns"].values() for a in names}
    assert set(PRESETS[name]["detect"]) <= aliases


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_time_formats_round_trip(name: str) -> None:
    moment = datetime(2024, 3, 5, 14, 22, 10, tzinfo=timezone(timedelta(hours=8)))
    for fmt in PRESETS[name]["time_formats"]:
        parsed = datetime.strptime(moment.strftime(fmt), fmt)
        assert parsed.replace(tzinfo=None) == moment.replace(tzinfo=None, second=parsed.second)


def test_only_tmall_is_never_detected_and_shares_taobao_mapping() -> None:
    assert [name for name, p in PRESETS.items() if not p["detect"]] == ["tmall"]
    tmall, taobao = PRESETS["tmall"], PRESETS["taobao"]
    assert tmall["platform"] == "tmall"
    for key in REQUIRED_KEYS - {"name", "platform", "detect"}:
        assert tmall[key] == taobao[key], key


def test_generic_headers_are_the_canonical_names() -> None:
    generic = PRESETS["generic"]
    assert generic["columns"] == {field: [field] for field in generic["columns"]}
    assert set(generic["columns"]) == ORDER_FIELDS | LINE_FIELDS


# ------------------------------------------------------------------------- sample files


@pytest.fixture(params=exports.PRESET_NAMES)
def sample(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, list[list[str]]]:
    name: str = request.param
    return name, read_table(exports.WRITERS[name](tmp_path))


def test_sample_has_every_required_field(sample: tuple[str, list[list[str]]]) -> None:
    name, table = sample
    headers = header_index(table)
    for field in PRESETS[name]["required"]:
        assert column_of(PRESETS[name], field, headers) is not None, field


def test_detection_picks_exactly_the_right_preset(sample: tuple[str, list[list[str]]]) -> None:
    name, table = sample
    assert detect(set(header_index(table))) == [DETECTED_AS[name]]


def test_sample_statuses_are_all_mapped(sample: tuple[str, list[list[str]]]) -> None:
    name, table = sample
    p = PRESETS[name]
    headers = header_index(table)
    status = column_of(p, "status", headers)
    assert status is not None
    values = {row[status].strip() for row in table[1:]} - {""}
    assert values
    assert values <= set(p["status_map"]), values - set(p["status_map"])
    refund = column_of(p, "line_refund_status", headers)
    if refund is not None:
        values = {row[refund].strip() for row in table[1:]} - {""}
        assert values <= set(p["refund_status_map"]), values - set(p["refund_status_map"])


def test_sample_holds_the_truths_order_ids(sample: tuple[str, list[list[str]]]) -> None:
    name, table = sample
    column = column_of(PRESETS[name], "order_id", header_index(table))
    assert column is not None
    in_file = {bare_id(row[column]) for row in table[1:]}
    assert in_file == {order.order_id for order in exports.sample_orders(name)}


def test_sample_rows_follow_the_grain(sample: tuple[str, list[list[str]]]) -> None:
    name, table = sample
    orders = exports.sample_orders(name)
    lines = sum(len(order.lines) for order in orders)
    assert len(table) - 1 == (len(orders) if PRESETS[name]["grain"] == "order" else lines)


def test_sample_has_stray_header_decoration_somewhere(tmp_path: Path) -> None:
    decorated = [
        name
        for name in exports.PRESET_NAMES
        if any(h != clean_header(h) for h in read_table(exports.WRITERS[name](tmp_path))[0])
    ]
    assert {"taobao", "jd", "douyin"} <= set(decorated)


def test_taobao_csv_is_gb18030_with_protected_ids(tmp_path: Path) -> None:
    raw = exports.write_taobao_csv(tmp_path).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b'="3829104756618352047"' in raw


def test_douyin_and_pdd_csv_start_with_a_bom(tmp_path: Path) -> None:
    assert exports.write_douyin_csv(tmp_path).read_bytes().startswith(b"\xef\xbb\xbf")
    assert exports.write_pdd_csv(tmp_path).read_bytes().startswith(b"\xef\xbb\xbf")
    text = exports.write_douyin_csv(tmp_path, id_prefix="`").read_text(encoding="utf-8-sig")
    assert "`6923184756201934785" in text


def test_shopify_order_fields_only_on_first_row(tmp_path: Path) -> None:
    table = read_table(exports.write_shopify_csv(tmp_path))
    headers = header_index(table)
    name, total = headers["Name"], headers["Total"]
    seen: set[str] = set()
    for row in table[1:]:
        assert (row[total] != "") == (row[name] not in seen)
        seen.add(row[name])


# --------------------------------------------------------------------- the sample truth


@pytest.mark.parametrize("name", exports.PRESET_NAMES)
def test_sample_orders_cover_the_interesting_cases(name: str) -> None:
    orders = exports.sample_orders(name)
    assert 3 <= len(orders) <= 6
    assert len({o.order_id for o in orders}) == len(orders)
    assert any(len(o.lines) > 1 for o in orders)
    assert any(0 < o.order_refund_fen < o.amount_fen for o in orders)
    assert any(o.status == "closed" and o.fully_refunded for o in orders)
    phones = [o.phone for o in orders if o.phone]
    keys = [o.buyer_id or o.email or o.phone for o in orders]
    assert len(set(keys)) < len(keys), "two orders by the same buyer"
    if name != "shopify":
        assert any("*" in phone for phone in phones)
    for order in orders:
        assert order.ordered_at.utcoffset() == timedelta(hours=8)
        assert order.status in STATUSES
        assert order.order_refund_fen >= sum(line.refund_fen for line in order.lines)
        for line in order.lines:
            assert 0 <= line.amount_fen <= line.list_fen
            assert 0 <= line.refund_fen <= line.amount_fen
        for phone in phones:
            assert phone.removeprefix("+86")[:3] in {"198", "199"} or "*" in phone


# ------------------------------------------------------------------------ bad input files


@pytest.mark.parametrize("name", exports.PRESET_NAMES)
def test_bad_rows_point_at_real_cells(name: str, tmp_path: Path) -> None:
    path, expected = exports.write_with_bad_rows(tmp_path, preset=name)
    table = read_table(path)
    headers = header_index(table)
    assert detect(set(headers)) == [DETECTED_AS[name]]
    assert {e.reason for e in expected} == {
        "scientific_notation",
        "invalid_amount",
        "invalid_date",
        "negative_quantity",
        "missing_order_id",
    }
    good_rows = len(table) - 1 - len(expected)
    assert sorted(e.line for e in expected) == list(range(good_rows + 2, len(table) + 1))
    cells = {e.reason: table[e.line - 1][headers[e.column]] for e in expected}
    assert cells["scientific_notation"].upper() == "3.82912E+18"
    assert cells["invalid_amount"] == "#VALUE!"
    assert cells["invalid_date"] == "2024-02-30 10:00:00"
    assert cells["negative_quantity"] == "-1"
    assert cells["missing_order_id"] == ""


def test_unreadable_files(tmp_path: Path) -> None:
    files = exports.write_unreadable(tmp_path)
    assert set(files) == {"binary_csv", "fake_xlsx", "empty_csv", "unknown_headers_csv"}
    assert files["empty_csv"].stat().st_size == 0
    assert not zipfile.is_zipfile(files["fake_xlsx"])
    with pytest.raises(UnicodeDecodeError):
        files["binary_csv"].read_bytes().decode("utf-8")
    assert detect(set(header_index(read_table(files["unknown_headers_csv"])))) == []
