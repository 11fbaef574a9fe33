"""Checking outgoing text against banned words, pure.

The default list holds the absolute terms China's Advertising Law (广告法, article 9) forbids
in advertising (最佳, 第一, 国家级 …), medical claims an ordinary product may not make, and
words WeChat/WeCom commonly treat as inducement or spam. A brand edits its own list; every
text is checked before it can be scheduled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

DEFAULT_BANNED: Final = (
    # absolute terms (广告法 第九条)
    "最佳", "最好", "最优", "最强", "最高级", "最先进", "最便宜", "最低价", "第一", "唯一",
    "首个", "首选", "顶级", "极致", "绝对", "国家级", "世界级", "全网第一", "销量冠军",
    "万能", "100%", "史无前例", "独一无二",
    # medical claims for ordinary goods
    "治疗", "根治", "药到病除", "包治", "无副作用", "特效",
    # inducement and spam on WeChat/WeCom
    "转发领取", "集赞", "拉人头", "诱导分享",
)  # fmt: skip


@dataclass(frozen=True)
class Hit:
    """A banned word found in one field of a content."""

    field: str
    word: str


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    cleaned = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile("|".join(re.escape(w) for w in cleaned), re.IGNORECASE)


def banned_hits(content: Mapping[str, Any], words: Iterable[str]) -> list[Hit]:
    """Every banned word in the text fields of a content (case-insensitive)."""
    pattern = _pattern(words)
    if pattern is None:
        return []
    hits = []
    for name, value in content.items():
        if isinstance(value, str):
            for found in sorted({m.group(0) for m in pattern.finditer(value)}):
                hits.append(Hit(name, found))
    return hits
