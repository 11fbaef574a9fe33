"""Segments on both databases: saved rules, live counts over profiles, tags, carriers,
consent and contact history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from siyu.kit.errors import ConflictError, NotFoundError
from siyu.models import Workspace
from siyu.pool.repository import create_channel
from siyu.segments import repository, service
from siyu.segments.rules import RuleError
from siyu.segments.schemas import SegmentCreate, SegmentUpdate
from tests.fixtures.engage import NOW, consent, contact, customers, tag, touch


def _brand(session: Session, ws: int) -> list[int]:
    card = create_channel(session, ws, code="card", name="Package card", kind="package_card")
    ids = customers(session, ws, [
        {"stage": "active", "tier": "repeat", "clv_fen": 90_000, "entry_channel_id": card,
         "next_purchase_at": NOW + timedelta(days=2), "n_purchases": 2},
        {"stage": "silent", "clv_fen": 60_000, "entry_channel_id": card},
        {"stage": "dormant", "clv_fen": None, "p_alive": None},
        {"stage": "churned", "clv_fen": 10_000, "in_pool": False},
        {"stage": "none", "tier": "potential", "n_purchases": 0, "clv_fen": None},
    ])  # fmt: skip
    a, b, c, d, _ = ids
    tag(session, ws, a, "vip", "baby")
    tag(session, ws, b, "vip")
    contact(session, ws, a)
    contact(session, ws, b, carrier="group", ref="g1")
    contact(session, ws, c, left_at=NOW - timedelta(days=3), left_reason="deleted_by_customer")
    consent(session, ws, a, "sms", True)
    consent(session, ws, b, "sms", True)
    consent(session, ws, b, "all", False, at=NOW - timedelta(days=1))
    consent(session, ws, c, "all", False, at=NOW - timedelta(days=20))
    consent(session, ws, c, "sms", True, at=NOW - timedelta(days=2))
    touch(session, ws, a, at=NOW - timedelta(days=2), promotion=True)
    touch(session, ws, a, at=NOW - timedelta(days=20))
    touch(session, ws, b, at=NOW - timedelta(days=20), status="cancelled")
    touch(session, ws, d, at=NOW + timedelta(days=1), status="reserved")
    return ids


@pytest.mark.parametrize(
    ("rule", "picks"),
    [
        ("stage in [silent, dormant] and clv_fen >= 50000", [1]),
        ("tags has vip and not tags has baby", [1]),
        ("carriers has wecom", [0]),
        ("carriers has_any [wecom, group]", [0, 1]),
        ("days_since_left <= 7", [2]),
        ("consent.sms = granted", [0, 2]),
        ("consent.sms = withdrawn", [1]),
        ("consent.wecom = unknown", [0, 3, 4]),
        ("touches_7d >= 1", [0]),
        ("touches_30d = 2 and promotions_30d = 1", [0]),
        ("days_since_touch is null", [1, 2, 3, 4]),
        ("entry_channel = card", [0, 1]),
        ("days_to_next_purchase between 0 and 3", [0]),
        ("tier >= repeat or in_pool = false", [0, 3]),
        ("p_alive is null", [2]),
    ],
)
def test_rules_over_every_source(
    session: Session, workspace_id: int, rule: str, picks: list[int]
) -> None:
    ids = _brand(session, workspace_id)
    node = service.compile_rule(session, workspace_id, rule)
    found = service.members(session, workspace_id, node, NOW).tolist()
    assert found == [ids[i] for i in picks]


def test_saved_segment_lifecycle(session: Session, workspace_id: int) -> None:
    _brand(session, workspace_id)
    created = service.create_segment(session, workspace_id, SegmentCreate(
        code="vip-slipping", name="VIPs slipping", rule="tags has vip and stage >= silent",
    ))  # fmt: skip
    assert created.rule == {
        "all": [
            {"field": "tags", "op": "has", "value": "vip"},
            {"field": "stage", "op": ">=", "value": "silent"},
        ]
    }
    counted = service.count_segment(session, workspace_id, "vip-slipping", NOW)
    assert (counted.count, counted.total, counted.by_stage) == (1, 5, {"silent": 1})
    assert repository.get_segment(session, workspace_id, "vip-slipping").last_count == 1  # type: ignore[union-attr]
    with pytest.raises(ConflictError) as exists:
        service.create_segment(
            session, workspace_id, SegmentCreate(code="vip-slipping", rule="stage = active")
        )
    assert exists.value.key == "segment.exists"
    updated = service.update_segment(
        session,
        workspace_id,
        "vip-slipping",
        SegmentUpdate(rule={"field": "tags", "op": "has", "value": "vip"}),
    )
    assert updated.last_count is None and updated.rule_text == ""
    assert service.count_segment(session, workspace_id, "vip-slipping", NOW).count == 2
    assert [s.code for s in service.list_segments(session, workspace_id)] == ["vip-slipping"]
    service.delete_segment(session, workspace_id, "vip-slipping")
    with pytest.raises(NotFoundError):
        service.count_segment(session, workspace_id, "vip-slipping", NOW)


def test_bad_rule_is_refused_before_saving(session: Session, workspace_id: int) -> None:
    _brand(session, workspace_id)
    with pytest.raises(RuleError) as bad:
        service.create_segment(
            session, workspace_id, SegmentCreate(code="x", rule="entry_channel = cart")
        )
    assert "Try: card" in bad.value.message("en")
    assert service.list_segments(session, workspace_id) == []


def test_tags_are_added_once_and_removed(session: Session, workspace_id: int) -> None:
    ids = _brand(session, workspace_id)
    assert (
        repository.add_tags(session, workspace_id, [(ids[0], "vip"), (ids[3], "vip")], "test") == 1
    )
    assert repository.remove_tags(session, workspace_id, ids, "vip") == 3
    node = service.compile_rule(session, workspace_id, "tags has vip")
    assert service.members(session, workspace_id, node, NOW).size == 0


@pytest.mark.committed
def test_the_committed_reader_sees_the_same(committed_session: Session) -> None:
    session = committed_session
    workspace = Workspace(slug="fast", name="fast")
    session.add(workspace)
    session.flush()
    _brand(session, workspace.id)
    session.commit()
    rules = [
        "tags has vip",
        "consent.sms = granted",
        "touches_30d >= 1 or days_since_left < 9",
        "carriers has_any [wecom, group] and entry_channel = card",
        "p_alive is null",
    ]
    for rule in rules:
        node = service.compile_rule(session, workspace.id, rule)
        slow = service.members(session, workspace.id, node, NOW)
        fast = service.members(session, workspace.id, node, NOW, committed=True)
        assert fast.tolist() == slow.tolist(), rule
