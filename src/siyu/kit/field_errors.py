"""Pydantic's refusals ("where: what") in the reader's language.

Pydantic writes its messages in English only. The types people meet in forms, files and
request bodies get a Chinese sentence here; any other type keeps Pydantic's English text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any

CHINESE: dict[str, str] = {
    "missing": "必填",
    "extra_forbidden": "不允许此字段",
    "string_type": "须为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符（{pattern}）",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "bool_type": "须为是或否",
    "bool_parsing": "须为是或否",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须不大于 {le}",
    "literal_error": "须为以下之一：{expected}",
    "enum": "须为以下之一：{expected}",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "date_parsing": "不是有效的日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "不是有效的日期（YYYY-MM-DD）",
    "datetime_parsing": "不是有效的日期时间",
    "datetime_from_date_parsing": "不是有效的日期时间",
    "time_parsing": "不是有效的时间（HH:MM）",
    "url_parsing": "不是有效的网址",
    "json_invalid": "不是有效的 JSON",
}


def describe(error: Mapping[str, Any], locale: str) -> str:
    """One Pydantic error as "where: what" in `locale` (English: Pydantic's own text)."""
    where = ".".join(str(part) for part in error.get("loc", ())) or "input"
    what = str(error.get("msg", ""))
    template = CHINESE.get(str(error.get("type", ""))) if locale == "zh-CN" else None
    if template is not None:
        context = dict(error.get("ctx") or {})
        if isinstance(context.get("expected"), str):  # "'a', 'b' or 'c'"
            context["expected"] = context["expected"].replace(" or ", ", ")
        # a context this table did not expect keeps Pydantic's English, which is still right
        with suppress(KeyError, IndexError):
            what = template.format(**context)
    return f"{where}: {what}"


def listing(errors: Sequence[Mapping[str, Any]], locale: str, *, limit: int | None = None) -> str:
    """The errors (the first `limit` of them), described and joined."""
    return "; ".join(describe(error, locale) for error in errors[:limit])
