"""Pure rules for identifiers: normalisation, masking detection, merge explanations."""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from siyu.models.enums import IdentityKind

_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_INTL = re.compile(r"\+?\d{6,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class IdentifierKey(NamedTuple):
    """A normalised identifier: kind, platform (for buyer ids only) and value.

    A NamedTuple, not a dataclass: it is a dict key millions of times per import, and tuple
    hashing runs in C.
    """

    kind: str
    platform: str
    value: str


def is_masked(value: str) -> bool:
    """True when a platform has masked the value (1******6198, t**9): it never merges."""
    return "*" in value


def normalise_phone(raw: str) -> str | None:
    """Return a comparable phone number, or None when absent, masked or not a phone."""
    text = _PHONE_NOISE.sub("", raw)
    if not text or is_masked(text):
        return None
    for prefix in ("+86", "0086"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
    if _CN_MOBILE.fullmatch(text):
        return text
    if text.startswith("+") and _INTL.fullmatch(text):
        return text
    return None


def normalise_email(raw: str) -> str | None:
    """Return a lower-cased e-mail address, or None when absent, masked or malformed."""
    text = raw.strip().lower()
    if not text or is_masked(text) or not _EMAIL.fullmatch(text):
        return None
    return text


def normalise_token(raw: str) -> str | None:
    """Return an opaque id (buyer id, unionid, external_userid) trimmed, or None if unusable."""
    text = raw.strip()
    if not text or is_masked(text):
        return None
    return text


def normalise_name(raw: str) -> str | None:
    """Return a comparable full name (spaces collapsed, case folded), or None when unusable."""
    text = " ".join(raw.split()).casefold()
    if not text or is_masked(text):
        return None
    return text


NAME_INDEX_KIND = "name/"
"""Blind-index namespace of customer names (never an identity: names do not merge people)."""


def identifier(kind: IdentityKind, raw: str, *, platform: str = "") -> IdentifierKey | None:
    """Build the identifier key for a raw value, or None when it cannot identify anyone."""
    if kind is IdentityKind.PHONE:
        value = normalise_phone(raw)
    elif kind is IdentityKind.EMAIL:
        value = normalise_email(raw)
    else:
        value = normalise_token(raw)
    if value is None:
        return None
    return IdentifierKey(kind.value, platform if kind is IdentityKind.PLATFORM_BUYER else "", value)


def explain_merge(
    *, winner_id: int, loser_id: int, kind: str, platform: str, masked: str, source: str
) -> dict[str, str]:
    """Explain a merge in both languages."""
    what_en = f"{platform} buyer id" if kind == IdentityKind.PLATFORM_BUYER else kind
    what_zh = {
        "phone": "手机号",
        "email": "邮箱",
        "unionid": "微信 unionid",
        "external_userid": "企业微信 external_userid",
    }.get(kind, f"{platform} 买家账号")
    return {
        "en": f"Customer #{loser_id} was merged into #{winner_id} because {what_en} "
        f"{masked} on {source} belongs to both.",
        "zh-CN": f"客户 #{loser_id} 已合并到 #{winner_id}："
        f"{source} 上的{what_zh} {masked} 同属二者。",
    }


def mask_name(name: str) -> str:
    """Mask a person's name for display: 王小明 -> 王**, Alice Wong -> A*********."""
    text = name.strip()
    return text[:1] + "*" * max(len(text) - 1, 1) if text else ""


ADDRESS_KEPT = 6


def mask_address(address: str) -> str:
    """Mask an address for display: the first characters (province, city) only."""
    text = address.strip()
    if not text:
        return ""
    return text[:ADDRESS_KEPT] + "****" if len(text) > ADDRESS_KEPT else text[:1] + "****"


def receiver_address(receiver_json: str) -> str:
    """The address of an order's decrypted receiver blob (name, phone, address)."""
    parts = [*json.loads(receiver_json), "", "", ""][:3]
    return str(parts[2] or "")
