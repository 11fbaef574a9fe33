"""Group health: activity figures and the dead-group rule ("acted by the owner alone")."""

from __future__ import annotations

import pytest

from siyu.groups.rules import WindowActivity, figures


def window(
    owner: int = 0,
    staff: int = 0,
    member: int = 0,
    active: int = 0,
    members: int = 100,
    joins: int = 0,
    leaves: int = 0,
    days: int = 28,
) -> WindowActivity:
    return WindowActivity(days, owner, staff, member, active, members, joins, leaves)


def test_owner_talking_alone_is_dead() -> None:
    f = figures(window(owner=280, staff=40, member=12, active=10), None)
    assert f.status == "dead"
    assert f.member_share == pytest.approx(12 / 332)
    assert f.owner_staff_share == pytest.approx(320 / 332)
    assert f.messages_per_day == pytest.approx(332 / 28)
    assert f.active_member_ratio == pytest.approx(10 / 2800)


def test_silence_is_dead() -> None:
    assert figures(window(), None).status == "dead"


def test_members_talking_is_healthy() -> None:
    f = figures(window(owner=100, member=600, active=400), window(owner=90, member=560, active=380))
    assert f.status == "healthy"
    assert f.member_messages_change == pytest.approx(600 / 560 - 1)


def test_a_halving_of_member_talk_is_declining() -> None:
    f = figures(
        window(owner=100, member=200, active=150), window(owner=100, member=600, active=400)
    )
    assert f.status == "declining" and f.member_messages_change == pytest.approx(-2 / 3)


def test_net_leaving_is_declining() -> None:
    assert figures(window(owner=50, member=300, active=200, joins=2, leaves=15), None).status == (
        "declining"
    )


def test_a_drop_from_almost_nothing_means_little() -> None:
    f = figures(
        window(owner=10, member=5, active=5, members=10),
        window(owner=10, member=20, active=10, members=10),
    )
    assert f.member_messages_change is None and f.status == "healthy"


@pytest.mark.parametrize(
    ("now", "before", "status", "reason"),
    [
        (window(), None, "dead", "silent"),
        (window(owner=280, staff=40, member=12, active=10), None, "dead", "owner_only"),
        (window(owner=100, member=200, active=150), window(owner=100, member=600, active=400),
         "declining", "members_fell"),
        (window(owner=50, member=300, active=200, joins=2, leaves=15), None, "declining",
         "net_leaving"),
        (window(owner=100, member=600, active=400), None, "healthy", ""),
    ],
)  # fmt: skip
def test_the_flag_says_why(
    now: WindowActivity, before: WindowActivity | None, status: str, reason: str
) -> None:
    f = figures(now, before)
    assert (f.status, f.reason) == (status, reason)
