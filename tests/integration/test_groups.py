"""Customer groups on both databases: membership, activity import, dead and declining groups."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.groups.service import Groups, Member, group_health, import_activity
from siyu.kit.clock import CHINA_TZ
from siyu.kit.crypto import PiiCipher
from siyu.models import Contact, GroupMember

AS_OF = date(2026, 3, 29)
START = datetime(2026, 1, 1, tzinfo=UTC)


def _members(prefix: str, n: int) -> list[Member]:
    return [Member(f"wm{prefix}{i:04d}", True, START) for i in range(n)]


def _activity(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "日期",
                "群ID",
                "群名称",
                "群主",
                "群主消息数",
                "员工消息数",
                "成员消息数",
                "发言成员数",
            ]
        )
        writer.writerows(rows)
    return path


def test_membership_follows_wecom(session: Session, workspace_id: int, cipher: PiiCipher) -> None:
    groups = Groups(session, workspace_id, cipher)
    group = groups.ensure("wrChatA", name="茶友一群", owner="wecom_a", started_at=START)
    assert groups.join(group, Member("wecom_a", False, START))
    assert sum(groups.join(group, m) for m in _members("A", 3)) == 3
    assert not groups.join(group, _members("A", 1)[0])  # already in
    contacts = session.scalars(select(Contact).where(Contact.carrier == "group")).all()
    assert len(contacts) == 3 and {c.carrier_ref for c in contacts} == {"wrChatA"}
    assert groups.leave(group, "wmA0001", START + timedelta(days=2))
    assert not groups.leave(group, "wmNobody", START)
    left = session.scalars(select(Contact).where(Contact.left_at.is_not(None))).one()
    assert left.left_reason == "left_group"
    joined, gone = groups.replace_members(
        group,
        [Member("wecom_a", False, START), *_members("A", 1), Member("wmNew", True, START)],
        START + timedelta(days=3),
    )
    assert (joined, gone) == (1, 1)
    assert groups.dismiss(group, START + timedelta(days=4)) == 3
    open_members = session.scalars(select(GroupMember).where(GroupMember.left_at.is_(None)))
    assert open_members.all() == []


def test_activity_import_and_health(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    groups = Groups(session, workspace_id, cipher)
    for ref, name in (
        ("wrLive", "老茶客交流群"),
        ("wrDead", "福利群 3"),
        ("wrFading", "新品尝鲜群"),
    ):
        group = groups.ensure(ref, name=name, owner="wecom_a", started_at=START)
        for m in _members(ref, 50):
            groups.join(group, m)
    rows: list[list[object]] = []
    for k in range(56):
        day = AS_OF - timedelta(days=56 - k)
        recent = k >= 28
        rows.append([day.isoformat(), "wrLive", "", "", 4, 2, 30, 12])
        rows.append(
            [day.isoformat(), "wrDead", "", "", 9, 3, 0 if recent else 1, 0 if recent else 1]
        )
        rows.append(
            [day.isoformat(), "wrFading", "", "", 3, 1, 5 if recent else 20, 4 if recent else 10]
        )
    rows.append(["not a day", "wrLive", "", "", 1, 1, 1, 1])
    rows.append([AS_OF.isoformat(), "wrNew", "新群", "wecom_b", 2, 0, -1, 0])
    path = _activity(tmp_path / "activity.csv", rows)
    result = import_activity(session, workspace_id=workspace_id, cipher=cipher, path=path)
    assert (result.created, len(result.rejects)) == (168, 2)
    assert {r.column for r in result.rejects} == {"日期", "成员消息数"}
    again = import_activity(session, workspace_id=workspace_id, cipher=cipher, path=path)
    assert (again.created, again.unchanged) == (0, 168)

    health = {h.group.chat_ref: h for h in group_health(session, workspace_id, as_of=AS_OF)}
    assert health["wrDead"].figures.status == "dead"
    assert health["wrFading"].figures.status == "declining"
    assert health["wrLive"].figures.status == "healthy"
    live = health["wrLive"].figures
    assert live.messages_per_day == 36 and round(live.member_share, 3) == round(30 / 36, 3)
    assert health["wrLive"].members == 50 and health["wrLive"].owner == "wecom_a"
    assert round(live.active_member_ratio, 3) == round(12 / 50, 3)


def test_joins_and_leaves_in_the_window(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    groups = Groups(session, workspace_id, cipher)
    group = groups.ensure("wrMoves", name="x", owner="wecom_a")
    start = datetime.combine(AS_OF - timedelta(days=10), datetime.min.time(), CHINA_TZ)
    for m in _members("M", 20):
        groups.join(group, m)
    for i in range(5):
        groups.leave(group, f"wmM{i:04d}", start)
    groups.join(group, Member("wmLate", True, start))
    health = group_health(session, workspace_id, as_of=AS_OF)[0]
    assert (health.figures.joins, health.figures.leaves, health.members) == (1, 5, 16)
    assert health.figures.status == "dead"  # nobody talks at all
