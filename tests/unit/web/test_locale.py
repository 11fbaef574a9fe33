"""Languages: negotiation, the catalogues' completeness, locale formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from siyu.web.locale import LOCALE_DIR, Formatter, negotiate, normalise, translations

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5, zh;q=0.7", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("fr, de", None),
        ("", None),
        (None, None),
        ("en;q=0, zh-Hans", "zh-CN"),
    ],
)
def test_negotiate(header: str | None, expected: str | None) -> None:
    assert negotiate(header) == expected


def test_normalise() -> None:
    found = [normalise(v) for v in ("zh_CN", "ZH", "en-GB", "ja", None)]
    assert found == ["zh-CN", "zh-CN", "en", None, None]


def _extracted() -> set[str]:
    method_map = [("src/siyu/**.py", "python"), ("src/siyu/console/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_of_the_console_has_a_chinese_translation() -> None:
    with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = _extracted() - translated
    assert not missing, f"run `make i18n` and translate: {sorted(missing)}"


def test_the_catalogue_is_used() -> None:
    assert translations("zh-CN").gettext("Overview") == "总览"
    assert translations("en").gettext("Overview") == "Overview"
    assert translations("en").gettext("phone") == "Phone"


def test_money_in_yuan_per_locale() -> None:
    zh, en = Formatter("zh-CN"), Formatter("en")
    assert zh.money(123456) == "¥1,234.56"
    assert en.money(123456) == "CN¥1,234.56"
    assert zh.money(-5) == "-¥0.05"
    assert zh.money(123456, cents=False) == "¥1,235"
    assert zh.money(None) == "—"


def test_numbers_percentages_dates_per_locale() -> None:
    zh, en = Formatter("zh-CN"), Formatter("en")
    assert zh.number(1234567) == "1,234,567" and en.number(3.14159, 2) == "3.14"
    assert zh.percent(0.1234) == "12.3%" and en.percent(0.5, 0) == "50%"
    assert zh.date(date(2026, 3, 1)) == "2026年3月1日"
    assert en.date(date(2026, 3, 1)) == "Mar 1, 2026"
    late = datetime(2026, 2, 28, 17, 30, tzinfo=UTC)  # 01:30 on 1 March in China
    assert zh.date(late) == "2026年3月1日"
    assert "01:30" in zh.datetime(late) and "1:30" in en.datetime(late)
