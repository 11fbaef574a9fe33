"""Use cases of customer groups: membership from WeCom, activity imports, health (never commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from siyu.channels import repository as channel_repository
from siyu.customers.rules import identifier
from siyu.customers.service import IdentityResolver, ResolveRequest
from siyu.groups import repository
from siyu.groups.rules import DEFAULT_RULES, GroupFigures, GroupRules, WindowActivity, figures
from siyu.imports.cells import CellError
from siyu.imports.readers import read_table
from siyu.imports.results import TableImportResult
from siyu.imports.tabular import Column, RowError, RowReader
from siyu.kit.clock import CHINA_TZ
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import NotFoundError
from siyu.models import GroupChat, GroupMember
from siyu.models.enums import Carrier, IdentityKind, LeftReason
from siyu.pool.service import Directory

EXTERNAL_PREFIXES = ("wm", "wo")  # WeCom external userids; staff userids are the corp's own


@dataclass(frozen=True, slots=True)
class Member:
    """A member as WeCom names them."""

    userid: str
    is_customer: bool
    joined_at: datetime
    join_scene: int = 0
    unionid: str = ""


class Groups:
    """Group membership of one workspace inside the caller's transaction."""

    def __init__(self, session: Session, workspace_id: int, cipher: PiiCipher) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.cipher = cipher
        self.directory = Directory(session, workspace_id)

    def _index(self, userid: str) -> str:
        return self.cipher.blind_index("wecom/member", userid)

    def ensure(
        self, chat_ref: str, *, name: str = "", owner: str = "", started_at: datetime | None = None
    ) -> GroupChat:
        """The group with this chat id, created (or renamed, re-owned) as WeCom says."""
        group = repository.get_group(self.session, self.workspace_id, chat_ref)
        owner_id = self.directory.staff_account(owner[:64]) if owner else None
        if group is None:
            return repository.add_group(
                self.session,
                workspace_id=self.workspace_id,
                chat_ref=chat_ref[:64],
                name=name[:200],
                owner_staff_id=owner_id,
                started_at=started_at,
            )
        if name:
            group.name = name[:200]
        if owner_id is not None:
            group.owner_staff_id = owner_id
        return group

    def join(self, group: GroupChat, member: Member) -> bool:
        """Add a member (a customer also gets a group contact); False when already in."""
        index = self._index(member.userid)
        if any(m.member_index == index for m in repository.open_members(self.session, group.id)):
            return False
        customer_id = staff_id = None
        if member.is_customer:
            customer_id = self._customer(member)
            channel_repository.add_contact(
                self.session,
                workspace_id=self.workspace_id,
                customer_id=customer_id,
                carrier=Carrier.GROUP.value,
                carrier_ref=group.chat_ref,
                staff_account_id=group.owner_staff_id,
                channel_id=group.channel_id,
                joined_at=member.joined_at,
            )
        else:
            staff_id = self.directory.staff_account(member.userid[:64])
        repository.add_member(
            self.session,
            workspace_id=self.workspace_id,
            group_chat_id=group.id,
            kind="customer" if member.is_customer else "staff",
            customer_id=customer_id,
            staff_account_id=staff_id,
            member_index=index,
            joined_at=member.joined_at,
            join_scene=member.join_scene,
        )
        return True

    def _customer(self, member: Member) -> int:
        keys = [
            identifier(IdentityKind.EXTERNAL_USERID, member.userid),
            identifier(IdentityKind.UNIONID, member.unionid),
        ]
        request = ResolveRequest(
            tuple(k for k in keys if k is not None), member.joined_at, "wecom group member"
        )
        resolver = IdentityResolver(self.session, self.workspace_id, self.cipher, source="wecom")
        customer_id = resolver.resolve([request])[0]
        assert customer_id is not None
        return customer_id

    def leave(self, group: GroupChat, userid: str, at: datetime) -> bool:
        """Close a member's time in the group; False when they were not in it."""
        index = self._index(userid)
        for member in repository.open_members(self.session, group.id):
            if member.member_index == index:
                self._close(group, member, at)
                return True
        return False

    def _close(self, group: GroupChat, member: GroupMember, at: datetime) -> None:
        member.left_at = max(at, member.joined_at)
        if member.customer_id is not None:
            contact = channel_repository.open_contact(
                self.session,
                self.workspace_id,
                customer_id=member.customer_id,
                carrier=Carrier.GROUP.value,
                carrier_ref=group.chat_ref,
            )
            if contact is not None:
                contact.left_at = member.left_at
                contact.left_reason = LeftReason.LEFT_GROUP.value

    def dismiss(self, group: GroupChat, at: datetime) -> int:
        """The group was dismissed: everyone leaves."""
        group.dismissed_at = at
        members = repository.open_members(self.session, group.id)
        for member in members:
            self._close(group, member, at)
        return len(members)

    def replace_members(
        self, group: GroupChat, members: list[Member], at: datetime
    ) -> tuple[int, int]:
        """Make the stored members match a full member list (WeCom's group detail)."""
        wanted = {self._index(m.userid): m for m in members}
        left = 0
        for stored in repository.open_members(self.session, group.id):
            if stored.member_index not in wanted:
                self._close(group, stored, at)
                left += 1
        joined = sum(self.join(group, m) for m in members)
        return joined, left


def is_external(userid: str) -> bool:
    """True for a WeCom external userid (a customer), False for a staff userid."""
    return userid.startswith(EXTERNAL_PREFIXES)


# ---- activity ----------------------------------------------------------------------------------

ACTIVITY_COLUMNS = (
    Column("day", ("日期", "date"), required=True),
    Column("group", ("群ID", "群id", "chat_id", "群聊ID"), required=True),
    Column("name", ("群名称", "群名", "group_name")),
    Column("owner", ("群主", "owner")),
    Column("owner_messages", ("群主消息数", "群主发言数", "owner_messages"), required=True),
    Column("staff_messages", ("员工消息数", "员工发言数", "staff_messages")),
    Column(
        "member_messages",
        ("成员消息数", "客户消息数", "客户发言数", "member_messages"),
        required=True,
    ),
    Column("active_members", ("发言成员数", "发言客户数", "active_members"), required=True),
)


def _count(text: str) -> int:
    try:
        value = int(float(text.replace(",", "")))
    except ValueError:
        raise CellError(f"not a count: {text[:20]!r}", f"不是数量：{text[:20]!r}") from None
    if value < 0:
        raise CellError("negative count", "数量为负")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.replace("/", "-")[:10])
    except ValueError:
        raise CellError(f"not a date: {text[:20]!r}", f"不是日期：{text[:20]!r}") from None


def import_activity(
    session: Session, *, workspace_id: int, cipher: PiiCipher, path: Path
) -> TableImportResult:
    """Import daily message counts per group (from a chat-archive export); re-import replaces."""
    reader = RowReader(read_table(path), ACTIVITY_COLUMNS, "group activity")
    groups = Groups(session, workspace_id, cipher)
    result = TableImportResult(path.name)
    parsed: dict[tuple[int, date], dict[str, int]] = {}
    for line in reader.rows():
        result.rows += 1
        try:
            day = reader.require("day", _day)
            counts = {
                f: reader.parse(f, _count) or 0
                for f in ("owner_messages", "staff_messages", "member_messages", "active_members")
            }
            group = groups.ensure(
                reader.require("group", str), name=reader.text("name"), owner=reader.text("owner")
            )
        except RowError as err:
            result.rejects.append(err.reject(path.name, line))
            continue
        parsed[(group.id, day)] = counts
    stored = repository.activity_rows(
        session, sorted({g for g, _ in parsed}), sorted({d for _, d in parsed})
    )
    inserts = []
    for (group_id, day), counts in parsed.items():
        row = stored.get((group_id, day))
        if row is None:
            inserts.append(
                {"workspace_id": workspace_id, "group_chat_id": group_id, "day": day, **counts}
            )
        elif any(getattr(row, k) != v for k, v in counts.items()):
            for k, v in counts.items():
                setattr(row, k, v)
            result.updated += 1
        else:
            result.unchanged += 1
    repository.add_activity(session, inserts)
    result.created = len(inserts)
    return result


# ---- health ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupHealth:
    """A group with its figures over the window ending on `as_of`."""

    group: GroupChat
    owner: str
    members: int
    figures: GroupFigures


def _window(
    session: Session, workspace_id: int, end_day: date, days: int
) -> dict[int, WindowActivity]:
    start_day = end_day - timedelta(days=days)
    start = datetime.combine(start_day, datetime.min.time(), CHINA_TZ)
    end = datetime.combine(end_day, datetime.min.time(), CHINA_TZ)
    sums = repository.activity_sums(session, workspace_id, start_day, end_day)
    members = repository.member_counts(session, workspace_id, end)
    moves = repository.joins_and_leaves(session, workspace_id, start, end)
    found = {}
    for group_id in set(sums) | set(members) | set(moves):
        owner, staff, member, active = sums.get(group_id, (0, 0, 0, 0))
        joins, leaves = moves.get(group_id, (0, 0))
        found[group_id] = WindowActivity(
            days, owner, staff, member, active, members.get(group_id, 0), joins, leaves
        )
    return found


def group_health(
    session: Session, workspace_id: int, *, as_of: date, rules: GroupRules = DEFAULT_RULES
) -> list[GroupHealth]:
    """Every live group's figures over the window ending before `as_of` (China days)."""
    now = _window(session, workspace_id, as_of, rules.window_days)
    before = _window(
        session, workspace_id, as_of - timedelta(days=rules.window_days), rules.window_days
    )
    empty = WindowActivity(rules.window_days, 0, 0, 0, 0, 0, 0, 0)
    result = []
    for group, owner in repository.list_groups(session, workspace_id):
        if group.dismissed_at is not None:
            continue
        window = now.get(group.id, empty)
        result.append(
            GroupHealth(group, owner, window.members, figures(window, before.get(group.id), rules))
        )
    return result


def default_as_of(session: Session, workspace_id: int, today: date) -> date:
    """The day after the latest imported activity (today when there is none or it is later)."""
    latest = repository.latest_activity_day(session, workspace_id)
    return min(today, latest + timedelta(days=1)) if latest else today


def daily_messages(
    session: Session,
    workspace_id: int,
    *,
    as_of: date,
    days: int = DEFAULT_RULES.window_days,
    chat_ref: str | None = None,
) -> list[tuple[date, int, int, int]]:
    """Messages per China day of the window before `as_of` (owner, staff, members); every day
    of the window is there, days without activity as zeros."""
    group_id = None
    if chat_ref:
        group = repository.get_group(session, workspace_id, chat_ref)
        if group is None:
            raise NotFoundError("group.not_found", ident=chat_ref)
        group_id = group.id
    start = as_of - timedelta(days=days)
    found = {r[0]: r for r in repository.daily_activity(session, workspace_id, start, as_of,
                                                         group_id)}  # fmt: skip
    return [
        found.get(start + timedelta(days=i), (start + timedelta(days=i), 0, 0, 0))
        for i in range(days)
    ]
