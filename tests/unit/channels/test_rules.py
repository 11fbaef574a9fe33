"""Routing joiners to staff, shifts, and how a join is attributed (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from siyu.channels.rules import (
    Candidate,
    CodeWindow,
    Outcome,
    Shift,
    available_staff,
    join_outcome,
    landing_state,
    on_shift,
    order_token,
    parse_shifts,
    pick_staff,
    valid_code,
)
from siyu.kit.clock import CHINA_TZ

# Wednesday 2026-03-04 10:30 China time
AT = datetime(2026, 3, 4, 10, 30, tzinfo=CHINA_TZ).astimezone(UTC)


def cand(staff_id: int, position: int, *, backup: bool = False, active: bool = True,
         today: int = 0, capacity: int = 100, shifts: tuple[Shift, ...] = (),
         open_contacts: int = 0) -> Candidate:  # fmt: skip
    return Candidate(staff_id, position, backup, active, shifts, today, capacity, open_contacts)


def test_round_robin_walks_the_primaries_in_order() -> None:
    pool = [cand(1, 0), cand(2, 1), cand(3, 2), cand(9, 0, backup=True)]
    position, chosen = 0, []
    for _ in range(4):
        pick = pick_staff(pool, routing="round_robin", position=position, at=AT)
        assert pick is not None
        chosen.append(pick.staff_id)
        position = pick.next_position
    assert chosen == [1, 2, 3, 1]


def test_round_robin_skips_full_inactive_and_off_shift_staff() -> None:
    night = (Shift(2, 20 * 60, 23 * 60),)  # Wednesday evenings only
    pool = [cand(1, 0, today=100), cand(2, 1, active=False), cand(3, 2, shifts=night), cand(4, 3)]
    pick = pick_staff(pool, routing="round_robin", position=0, at=AT)
    assert pick is not None and (pick.staff_id, pick.next_position, pick.backup) == (4, 0, False)


def test_backups_only_when_no_primary_can_take_the_joiner() -> None:
    pool = [cand(1, 0, today=5, capacity=5), cand(2, 1, active=False), cand(7, 0, backup=True)]
    pick = pick_staff(pool, routing="round_robin", position=0, at=AT)
    assert pick is not None and (pick.staff_id, pick.backup) == (7, True)
    assert available_staff(pool, AT) == [7]
    full = [cand(1, 0, today=5, capacity=5), cand(7, 0, backup=True, active=False)]
    assert pick_staff(full, routing="round_robin", position=0, at=AT) is None
    assert available_staff(full, AT) == []


def test_least_loaded_uses_share_of_the_daily_limit_then_open_contacts() -> None:
    pool = [cand(1, 0, today=50, capacity=100), cand(2, 1, today=30, capacity=40),
            cand(3, 2, today=20, capacity=100, open_contacts=900),
            cand(4, 3, today=20, capacity=100, open_contacts=100)]  # fmt: skip
    pick = pick_staff(pool, routing="least_loaded", position=0, at=AT)
    assert pick is not None and pick.staff_id == 4


def test_shifts_are_china_time() -> None:
    workday = parse_shifts("1-5 09:00-18:00; 6 10:00-16:00")
    assert len(workday) == 6
    assert on_shift(workday, AT)
    assert not on_shift(workday, AT + timedelta(hours=8))  # 18:30 in Shanghai
    assert not on_shift(workday, AT + timedelta(days=4))  # Sunday
    assert on_shift([], AT)


@pytest.mark.parametrize(
    "text", ["8 09:00-10:00", "1-5 18:00-09:00", "weekdays", "5-1 09:00-10:00"]
)
def test_bad_shifts(text: str) -> None:
    with pytest.raises(ValueError):
        parse_shifts(text)


def test_join_outcomes() -> None:
    live = CodeWindow("active", None, AT + timedelta(days=1))
    assert join_outcome(live, state="c", at=AT, staff_active=True) == Outcome.ATTRIBUTED
    assert join_outcome(live, state="c", at=AT, staff_active=False) == Outcome.STAFF_INACTIVE
    ended = CodeWindow("active", None, AT - timedelta(days=1))
    assert join_outcome(ended, state="c", at=AT, staff_active=True) == Outcome.EXPIRED_CODE
    archived = CodeWindow("archived", None, None)
    assert join_outcome(archived, state="c", at=AT, staff_active=True) == Outcome.EXPIRED_CODE
    paused = CodeWindow("paused", None, None)
    assert join_outcome(paused, state="c", at=AT, staff_active=True) == Outcome.PAUSED_CODE
    early = CodeWindow("active", AT + timedelta(hours=1), None)
    assert join_outcome(early, state="c", at=AT, staff_active=True) == Outcome.PAUSED_CODE
    assert join_outcome(None, state="zzz", at=AT, staff_active=True) == Outcome.UNKNOWN_CODE
    assert join_outcome(None, state="", at=AT, staff_active=True) == Outcome.NO_CODE


@pytest.mark.parametrize(("code", "ok"), [("pkg_card_q3", True), ("a" * 30, True),
                                          ("a" * 31, False), ("包裹卡", False), ("", False),
                                          ("a b", False)])  # fmt: skip
def test_codes_fit_wecom_state(code: str, ok: bool) -> None:
    assert valid_code(code) is ok


def test_what_a_landing_page_shows() -> None:
    at = datetime(2026, 11, 24, 12, tzinfo=UTC)
    day = timedelta(days=1)
    assert landing_state(CodeWindow("active", None, None), at) == "live"
    assert landing_state(CodeWindow("active", at - day, at + day), at) == "live"
    assert landing_state(CodeWindow("paused", None, None), at) == "paused"
    assert landing_state(CodeWindow("active", at + day, None), at) == "paused"  # not started
    assert landing_state(CodeWindow("active", None, at - day), at) == "expired"
    assert landing_state(CodeWindow("archived", None, None), at) == "expired"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("0a1b2c3d4e5f", "0a1b2c3d4e5f"), ("", ""), (None, ""), ("<script>", ""),
     ("0A1B", ""), ("0" * 17, "")],
)  # fmt: skip
def test_only_card_tokens_of_siyu_shape_are_kept(raw: str | None, kept: str) -> None:
    assert order_token(raw) == kept
