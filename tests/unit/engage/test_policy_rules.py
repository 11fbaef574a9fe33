"""The contact policy's pure decisions: consent, quiet hours, caps, competition, staff."""

from __future__ import annotations

from datetime import UTC, datetime, time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.consent import rules as consent_rules
from siyu.engage.policy.rules import (
    DAY_S,
    Audience,
    Candidates,
    Ledger,
    Limits,
    channel_code,
    decide,
    expected_value,
    local_days,
    periods,
    quiet_adjusted,
)
from siyu.engage.policy.schemas import CHANNELS, STAGES, Caps, ContactPolicy, QuietHours

CHINA = 8 * 3600
SMS, WECOM, CONSOLE, STAFF = (channel_code(c) for c in ("sms", "wecom", "console", "staff"))
# Monday 2026-06-15 10:00 in China
MONDAY_10 = datetime(2026, 6, 15, 2, 0, tzinfo=UTC).timestamp()
POLICY = ContactPolicy()
LIMITS = Limits.compile(POLICY)


def _audience(n: int, *, stage: str = "silent", offset: int = CHINA) -> Audience:
    consent = np.zeros((n, len(consent_rules.CHANNELS) + 1), dtype=np.int8)
    consent[:, consent_rules.CHANNELS.index("sms")] = consent_rules.GRANTED
    return Audience(
        stage=np.full(n, STAGES.index(stage), dtype=np.int64),
        utc_offset_s=np.full(n, offset, dtype=np.int64),
        consent=consent,
        reachable=np.ones((n, len(CHANNELS)), dtype=np.bool_),
    )


def _ledger(rows: list[tuple[int, int, bool, float]]) -> Ledger:
    """(customer, channel, promotion, at) -> ledger with China local days."""
    at = np.array([r[3] for r in rows], dtype=np.float64)
    customer = np.array([r[0] for r in rows], dtype=np.int64)
    return Ledger(customer, np.array([r[1] for r in rows], dtype=np.int64),
                  np.array([r[2] for r in rows], dtype=np.bool_),
                  local_days(at, np.full(len(rows), CHINA)),
                  np.full(len(rows), -1, dtype=np.int64))  # fmt: skip


def test_consent_opt_out_reachability_and_stage_rule() -> None:
    audience = _audience(5)
    sms_col = consent_rules.CHANNELS.index("sms")
    audience.consent[1, sms_col] = consent_rules.UNKNOWN  # SMS needs an opt-in
    audience.consent[2, -1] = consent_rules.WITHDRAWN  # opted out of everything
    audience.consent[2, sms_col] = consent_rules.WITHDRAWN
    audience.reachable[3, SMS] = False
    audience.stage[4] = STAGES.index("churned")
    cands = Candidates.build(np.arange(5), channel=SMS, value=10.0, send_at=MONDAY_10)
    decided = decide(cands, audience, LIMITS)
    assert decided.reasons() == ["", "no_consent", "opted_out", "unreachable", "stage_rule"]
    console = decide(Candidates.build(np.arange(5), channel=CONSOLE, value=1.0,
                                      send_at=MONDAY_10), audience, LIMITS)  # fmt: skip
    assert console.reasons() == ["", "", "opted_out", "", "stage_rule"]
    major = Candidates.build(np.array([4]), channel=SMS, value=1.0, send_at=MONDAY_10,
                             promotion=True, major=True)  # fmt: skip
    assert decide(major, audience, LIMITS).admitted.tolist() == [True]


def test_quiet_hours_move_to_their_end_in_local_time() -> None:
    policy = ContactPolicy(quiet_hours=QuietHours(start=time(21), end=time(9)))
    limits = Limits.compile(policy)
    evening = MONDAY_10 + 12 * 3600  # 22:00 in China
    night = MONDAY_10 - 8 * 3600  # 02:00 in China
    noon = MONDAY_10 + 2 * 3600
    moved = quiet_adjusted(np.array([evening, night, noon]), np.full(3, CHINA),
                           limits.quiet_start_s, limits.quiet_end_s)  # fmt: skip
    assert [datetime.fromtimestamp(t, UTC).hour + 8 for t in moved] == [9, 9, 12]
    assert moved[0] - evening == 11 * 3600 and moved[1] - night == 7 * 3600
    # 10:00 in China is 22:00 in New York the evening before (UTC-4 in June)
    new_york = decide(Candidates.build(np.array([0]), channel=CONSOLE, value=1.0,
                                       send_at=MONDAY_10), _audience(1, offset=-4 * 3600),
                      limits)  # fmt: skip
    assert new_york.quiet_deferred.tolist() == [True]
    assert new_york.send_at[0] - MONDAY_10 == 11 * 3600


def test_calendar_periods() -> None:
    monday = local_days(np.array([MONDAY_10]), np.array([CHINA]))
    _, weeks, months = periods(np.concatenate([monday, monday + 6, monday + 7, monday + 16]))
    assert (weeks - weeks[0]).tolist() == [0, 0, 1, 2]  # Monday to Sunday
    assert (months - months[0]).tolist() == [0, 0, 0, 1]  # 16 days after 15 June is 1 July


def test_day_cap_counts_local_days() -> None:
    # 23:30 UTC Sunday is 07:30 Monday in China: the same local day as Monday 10:00.
    ledger = _ledger([(0, WECOM, False, MONDAY_10 - 2.5 * 3600), (1, WECOM, False,
                      MONDAY_10 - 11 * 3600)])  # fmt: skip
    decided = decide(
        Candidates.build(np.array([0, 1]), channel=CONSOLE, value=1.0, send_at=MONDAY_10),
        _audience(2),
        LIMITS,
        ledger=ledger,
    )
    assert decided.reasons() == ["cap_day", ""]


def test_stage_caps_and_channel_caps() -> None:
    active = _audience(1, stage="active")
    promo = Candidates.build(np.array([0]), channel=CONSOLE, value=1.0, send_at=MONDAY_10,
                             promotion=True)  # fmt: skip
    assert decide(promo, active, LIMITS).reasons() == ["promotion_cap_month"]
    week = [(0, SMS, False, MONDAY_10 + d * DAY_S) for d in (1, 2)]
    sms = Candidates.build(np.array([0]), channel=SMS, value=1.0, send_at=MONDAY_10 + 3 * DAY_S)
    silent = _audience(1, stage="silent")  # silent: one contact a week overall
    assert decide(sms, silent, LIMITS, ledger=_ledger(week[:1])).reasons() == ["cap_week"]
    loose = Limits.compile(ContactPolicy(overall=Caps(), stages={}))
    assert decide(sms, silent, loose, ledger=_ledger(week)).reasons() == ["channel_cap_week"]


def test_higher_value_wins_the_slot_whatever_the_order() -> None:
    cands = Candidates.build(np.array([0, 0, 0]), channel=CONSOLE,
                             value=np.array([1.0, 9.0, 5.0]), send_at=MONDAY_10)  # fmt: skip
    decided = decide(cands, _audience(1), LIMITS)
    assert decided.admitted.tolist() == [False, True, False]
    assert decided.reasons() == ["cap_day", "", "cap_day"]


def test_a_reserved_contact_is_outbid_by_a_more_valuable_one() -> None:
    cands = Candidates.build(np.array([0, 0, 1, 1]), channel=CONSOLE,
                             value=np.array([2.0, 7.0, 9.0, 7.0]), send_at=MONDAY_10,
                             existing=np.array([True, False, True, False]))  # fmt: skip
    decided = decide(cands, _audience(2), LIMITS)
    assert decided.reasons() == ["outbid", "", "", "cap_day"]


def test_refused_by_a_cap_moves_to_a_later_day_keeping_the_time() -> None:
    ledger = _ledger([(0, CONSOLE, False, MONDAY_10), (1, CONSOLE, False, MONDAY_10)])
    loose = Limits.compile(ContactPolicy(stages={}))  # day 1, week 3
    cands = Candidates.build(np.array([0, 1]), channel=CONSOLE, value=1.0, send_at=MONDAY_10,
                             reschedule_days=np.array([2, 0]))  # fmt: skip
    decided = decide(cands, _audience(2), loose, ledger=ledger)
    assert decided.admitted.tolist() == [True, False]
    assert decided.moved_days.tolist() == [1, 0]
    assert decided.send_at[0] == MONDAY_10 + DAY_S
    assert decided.reasons() == ["cap_day", "cap_day"]


def test_staff_capacity_keeps_the_most_valuable() -> None:
    cands = Candidates.build(np.arange(4), channel=STAFF, value=np.array([1.0, 4.0, 3.0, 2.0]),
                             send_at=MONDAY_10, staff=np.array([0, 0, 0, 1]))  # fmt: skip
    used = Ledger(
        np.array([9]),
        np.array([STAFF]),
        np.array([False]),
        local_days(np.array([MONDAY_10]), np.array([CHINA])),
        np.array([1]),
    )
    decided = decide(cands, _audience(10), LIMITS, staff_capacity=np.array([2, 1]),
                     staff_used=used)  # fmt: skip
    assert decided.reasons() == ["staff_capacity", "", "", "staff_capacity"]


def test_expected_value() -> None:
    value = expected_value(uplift=0.02, p_alive=np.array([0.5, np.nan]),
                           order_value_fen=np.array([np.nan, 10_000.0]), cost_fen=5.0,
                           fallback_order_value_fen=20_000.0)  # fmt: skip
    assert value.tolist() == [195.0, 95.0]


_row = st.tuples(
    st.integers(0, 3),  # customer
    st.sampled_from([SMS, WECOM, CONSOLE]),
    st.booleans(),  # promotion
    st.integers(0, 40),  # days after Monday
    st.floats(0, 100),  # value
    st.integers(0, 3),  # reschedule days
    st.booleans(),  # existing
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_row, max_size=30), st.lists(_row, max_size=15),
       st.sampled_from(STAGES))  # fmt: skip
def test_admitted_contacts_never_exceed_a_cap(
    rows: list[tuple[int, int, bool, int, float, int, bool]],
    fixed: list[tuple[int, int, bool, int, float, int, bool]],
    stage: str,
) -> None:
    audience = _audience(4, stage=stage)
    ledger = _ledger([(c, ch, p, MONDAY_10 + d * DAY_S) for c, ch, p, d, *_ in fixed])
    customer = np.array([r[0] for r in rows], dtype=np.int64)
    cands = Candidates.build(
        customer, channel=np.array([r[1] for r in rows], dtype=np.int64),
        promotion=np.array([r[2] for r in rows], dtype=np.bool_),
        send_at=MONDAY_10 + np.array([r[3] for r in rows], dtype=np.float64) * DAY_S,
        value=np.array([r[4] for r in rows]), reschedule_days=np.array([r[5] for r in rows]),
        existing=np.array([r[6] for r in rows], dtype=np.bool_),
    )  # fmt: skip
    decided = decide(cands, audience, LIMITS, ledger=ledger)
    ok = decided.admitted
    every_day = np.concatenate([ledger.local_day, decided.local_day[ok]])
    every_customer = np.concatenate([ledger.customer, customer[ok]])
    every_channel = np.concatenate([ledger.channel, cands.channel[ok]])
    every_promo = np.concatenate([ledger.promotion, cands.promotion[ok]])
    s = STAGES.index(stage)
    for w, period in enumerate(periods(every_day)):
        for c in range(4):
            mine = every_customer == c
            for p in np.unique(period[mine]):
                here = mine & (period == p)
                fixed_here = (ledger.customer == c) & (periods(ledger.local_day)[w] == p)

                # the ledger alone may already exceed a cap; admitted contacts never add to it
                def fits(mask: np.ndarray, fixed_mask: np.ndarray, cap: int) -> bool:
                    return bool(mask.sum() <= max(cap, fixed_mask.sum()))

                assert fits(here, fixed_here, LIMITS.stage_caps[s, 0, w])
                promo_fixed = fixed_here & ledger.promotion
                assert fits(here & every_promo, promo_fixed, LIMITS.stage_caps[s, 1, w])
                for ch in (SMS, WECOM, CONSOLE):
                    assert fits(here & (every_channel == ch), fixed_here & (ledger.channel == ch),
                                LIMITS.channel_caps[ch, w])  # fmt: skip
    assert not (ok & (decided.reason != 0) & (decided.moved_days == 0)).any()
