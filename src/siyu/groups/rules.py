"""Pure rules of group health: activity figures and the dead-group rule.

A group is *dead* when it is "acted by the group owner alone": over the window the owner and
staff send nearly all the messages (members' share below `dead_member_share`) and hardly any
member speaks (active-member ratio below `dead_active_ratio`), or nobody sends anything. It
is *declining* when members' messages per day fell by `decline_drop` or more against the
window before, or when more members left than joined by `decline_net_leave` of its size.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GroupRules:
    """Thresholds of the group-health rule."""

    window_days: int = 28
    dead_member_share: float = 0.10
    dead_active_ratio: float = 0.02
    decline_drop: float = 0.5
    decline_net_leave: float = 0.10
    min_member_messages_before: float = 1.0  # per day: below this a drop means little


DEFAULT_RULES = GroupRules()


@dataclass(frozen=True, slots=True)
class WindowActivity:
    """A group's activity over one window."""

    days: int
    owner_messages: int
    staff_messages: int
    member_messages: int
    active_member_days: int  # sum over days of members who spoke that day
    members: int
    joins: int
    leaves: int


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """What the console and reports show per group."""

    messages_per_day: float
    member_share: float
    owner_staff_share: float
    active_member_ratio: float
    joins: int
    leaves: int
    member_messages_change: float | None  # vs the window before; None without one
    status: str  # healthy | declining | dead
    reason: str = ""  # why: silent | owner_only | members_fell | net_leaving ("" when healthy)


def figures(
    now: WindowActivity, before: WindowActivity | None, rules: GroupRules = DEFAULT_RULES
) -> GroupFigures:
    """Activity figures of a group for a window and its health status."""
    total = now.owner_messages + now.staff_messages + now.member_messages
    days = max(now.days, 1)
    member_share = now.member_messages / total if total else 0.0
    active_ratio = now.active_member_days / (days * now.members) if now.members else 0.0
    change = None
    if (
        before is not None
        and before.member_messages / max(before.days, 1) >= rules.min_member_messages_before
    ):
        change = (now.member_messages / days) / (before.member_messages / max(before.days, 1)) - 1
    dead = total == 0 or (
        member_share < rules.dead_member_share and active_ratio < rules.dead_active_ratio
    )
    net_leave = (now.leaves - now.joins) / now.members if now.members else 0.0
    fell = change is not None and change <= -rules.decline_drop
    declining = fell or net_leave >= rules.decline_net_leave
    return GroupFigures(
        messages_per_day=total / days,
        member_share=member_share,
        owner_staff_share=1 - member_share if total else 0.0,
        active_member_ratio=active_ratio,
        joins=now.joins,
        leaves=now.leaves,
        member_messages_change=change,
        status="dead" if dead else "declining" if declining else "healthy",
        reason=_reason(total, dead=dead, fell=fell, declining=declining),
    )


def _reason(total: int, *, dead: bool, fell: bool, declining: bool) -> str:
    if dead:
        return "silent" if total == 0 else "owner_only"
    if declining:
        return "members_fell" if fell else "net_leaving"
    return ""
