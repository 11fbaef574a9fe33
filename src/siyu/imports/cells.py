"""Pure cell rules shared by every importer: cleaning, amounts, quantities, times, ids.

Each parser raises CellError with a bilingual reason; the importer turns it into a reject
with file, line and column.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from siyu.kit.money import yuan_to_fen

_EMPTY_BASE = ("", "null", "none", "nan", "-", "--", "—", "——", "/", "无", "暂无", "无退款申请",
               "n/a", "#n/a")  # fmt: skip
# Spelled out in each case so the hot path needs no lower().
EMPTY_WORDS = frozenset(w for base in _EMPTY_BASE for w in (base, base.upper(), base.title()))
_NOTE = re.compile(r"[（(][^)）]*[)）]")
_AMOUNT_NOISE = str.maketrans("", "", "¥￥,，元 \u00a0")
_DAMAGED_ID = re.compile(r"\d+(\.\d+)?[eE][+-]?\d+|\d+\.\d*")


class CellError(ValueError):
    """A cell whose content cannot be used; carries the reason in both languages."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{en} | {zh}")


def clean_header(header: str) -> str:
    """Strip BOMs, quotes, spaces and tabs that exports leave around header names."""
    return header.replace("\ufeff", "").strip().strip("\"'`=").strip()


def clean(raw: str) -> str:
    """Strip the ways exports protect or blank a value: ="…", leading ' or `, tabs, NULL, -."""
    text = raw.strip()
    first = text[:1]
    if first == "=" and text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()
    elif first == "'" or first == "`":
        text = text[1:].strip()
    return "" if text in EMPTY_WORDS else text


def parse_fen(text: str) -> int:
    """Parse a yuan amount as written in exports (¥1,234.50元 (含运费)) into integer fen."""
    whole, dot, frac = text.partition(".")
    if whole.isdigit() and (not dot or (len(frac) <= 2 and frac.isdigit())):
        return int(whole) * 100 + int(frac.ljust(2, "0") if dot else 0)  # plain "123.45"
    core = _NOTE.sub("", text).translate(_AMOUNT_NOISE)
    try:
        return yuan_to_fen(core)
    except ValueError:
        raise CellError(f"not an amount: {text[:40]!r}", f"不是金额：{text[:40]!r}") from None


def parse_quantity(text: str) -> int:
    """Parse a positive whole quantity ('2', '2.0', '2件')."""
    core = text.removesuffix("件").strip()
    try:
        value = float(core)
    except ValueError:
        raise CellError(f"not a quantity: {text[:40]!r}", f"不是数量：{text[:40]!r}") from None
    if not value.is_integer() or value <= 0:
        raise CellError(
            f"quantity must be a positive whole number: {text[:40]!r}",
            f"数量必须是正整数：{text[:40]!r}",
        )
    return int(value)


def check_id(text: str) -> str:
    """Return an id, refusing ids that Excel turned into floats (3.8E+18 loses digits)."""
    if _DAMAGED_ID.fullmatch(text):
        raise CellError(
            f"id {text!r} was damaged by Excel (digits lost); export the file again "
            "and do not re-save it in Excel",
            f"编号 {text!r} 已被 Excel 改写（丢失位数），请重新导出且勿用 Excel 保存",
        )
    return text


def parse_time(text: str, *, default_tz: tzinfo, formats: tuple[str, ...]) -> datetime:
    """Parse a timestamp (ISO first, then the preset's formats); naive ones get default_tz."""
    value: datetime | None = None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        for fmt in (*formats, "%Y-%m-%d %H:%M:%S %z"):
            try:
                value = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if value is None:
        raise CellError(f"not a date/time: {text[:40]!r}", f"不是日期时间：{text[:40]!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz)
    return value.astimezone(UTC)
