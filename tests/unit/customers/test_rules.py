"""Identifier normalisation: masked values never identify anyone."""

from __future__ import annotations

import pytest

from siyu.customers.rules import (
    identifier,
    mask_name,
    normalise_email,
    normalise_name,
    normalise_phone,
)
from siyu.models.enums import IdentityKind


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19912345678", "19912345678"),
        ("+86 199-1234-5678", "19912345678"),
        ("008619912345678", "19912345678"),
        ("1******6198", None),
        ("199****5678", None),
        ("12345", None),
        ("", None),
        ("+1 415 555 0100", "+14155550100"),
    ],
)
def test_normalise_phone(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


def test_normalise_email() -> None:
    assert normalise_email(" Alice@Example.CN ") == "alice@example.cn"
    assert normalise_email("a***@example.cn") is None
    assert normalise_email("not-an-email") is None


def test_buyer_ids_are_namespaced_by_platform_and_masked_ones_dropped() -> None:
    key = identifier(IdentityKind.PLATFORM_BUYER, " tb_alice ", platform="taobao")
    assert key is not None and (key.kind, key.platform, key.value) == (
        "platform_buyer",
        "taobao",
        "tb_alice",
    )
    assert identifier(IdentityKind.PLATFORM_BUYER, "t**9", platform="taobao") is None
    phone = identifier(IdentityKind.PHONE, "19912345678", platform="jd")
    assert phone is not None and phone.platform == ""


def test_names_normalise_for_the_blind_index() -> None:
    assert normalise_name("  王  小明 ") == "王 小明"
    assert normalise_name("Alice WONG") == normalise_name("alice  wong")
    assert normalise_name("王**") is None and normalise_name("  ") is None


def test_names_are_masked_for_display() -> None:
    assert mask_name("王小明") == "王**"
    assert mask_name("李") == "李*"
    assert mask_name("") == ""
