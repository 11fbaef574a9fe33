"""Parsing decrypted callback messages (WeCom's documented XML shapes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siyu.wecom.crypto import WeComCryptoError
from siyu.wecom.events import parse_event
from tests.fakes.wecom import chat_event, contact_event


def test_add_external_contact() -> None:
    event = parse_event(contact_event("add_external_contact", "ww1", 1_700_000_000, {
        "UserID": "zhangsan", "ExternalUserID": "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA",
        "State": "teststate", "WelcomeCode": "WELCOMECODE",
    }))  # fmt: skip
    assert (event.event, event.change_type) == ("change_external_contact", "add_external_contact")
    assert event.created_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert (event.user_id, event.state, event.welcome_code) == (
        "zhangsan",
        "teststate",
        "WELCOMECODE",
    )


def test_group_member_change() -> None:
    event = parse_event(chat_event("update", "ww1", 1_700_000_000, "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA",
                                   detail="add_member", members=("wmA", "wmB")))  # fmt: skip
    assert (event.event, event.change_type, event.update_detail) == (
        "change_external_chat",
        "update",
        "add_member",
    )
    assert event.members == ("wmA", "wmB")


def test_not_xml() -> None:
    with pytest.raises(WeComCryptoError):
        parse_event(b"garbage")
