"""Loyalty rules without a database: amounts, double entry, lots, stored value, cards, tiers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.kit.errors import ValidationError
from siyu.loyalty.rules import (
    KINDS,
    AccountKind,
    Benefits,
    BonusOrder,
    Held,
    Line,
    LotView,
    LoyaltyConflictError,
    Qualification,
    SpendRule,
    Standing,
    TierRule,
    TopupRule,
    Unit,
    account_code,
    apply_multiplier,
    card_refund,
    card_term,
    check_balanced,
    clawback,
    compact,
    consume_fifo,
    decide_tier,
    due_lots,
    fingerprint,
    kept_points,
    parse_points,
    parse_yuan,
    qualify,
    require_amount,
    require_key,
    spend_points,
    split_earn,
    split_spend,
    split_spend_refund,
    topup_bonus,
    topup_refund,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
K = AccountKind


# --- amounts and keys ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [1.5, 2.0, "3", True, None, -1, 0, 10**13])
def test_amounts_must_be_whole_positive_integers(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        require_amount(bad, "points")
    assert caught.value.key.startswith("loyalty.amount_")
    assert caught.value.message("zh-CN") != caught.value.message("en")


def test_zero_is_allowed_only_when_asked() -> None:
    assert require_amount(0, "fen", allow_zero=True) == 0
    assert require_amount(7, "fen") == 7


@pytest.mark.parametrize("text", ["1.5", "-3", "abc", "", "1e3", "0"])
def test_operator_points_refuse_fractions_signs_and_words(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_points(text)


def test_operator_amounts_parse_yuan_exactly() -> None:
    assert parse_points("1,200") == 1200
    assert parse_yuan("500") == 50_000
    assert parse_yuan("¥12.30") == 1230
    for bad in ("12.345", "-5", "0", "abc", "nan", "inf"):
        with pytest.raises(ValidationError):
            parse_yuan(bad)


@pytest.mark.parametrize("bad", ["", "   ", "x" * 129, "tab\there", 5])
def test_idempotency_keys_are_short_printable_text(bad: object) -> None:
    with pytest.raises(ValidationError):
        require_key(bad)


def test_fingerprint_is_stable_and_content_sensitive() -> None:
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


# --- double entry --------------------------------------------------------------------------


def test_every_kind_has_a_unit_an_owner_and_a_sign() -> None:
    assert set(KINDS) == set(AccountKind)
    assert KINDS[K.POINTS].unit is Unit.POINTS and KINDS[K.SV_BONUS].unit is Unit.FEN
    assert account_code(K.POINTS, 42) == "c42:points"
    assert account_code(K.POINTS_ISSUED, None) == "brand:points_issued"


def test_postings_must_balance_per_unit() -> None:
    check_balanced([Line(K.POINTS, 5), Line(K.POINTS_ISSUED, -5)])
    with pytest.raises(AssertionError):
        check_balanced([Line(K.POINTS, 5), Line(K.SV_FUNDING, -5)])  # points vs fen
    with pytest.raises(AssertionError):
        check_balanced([Line(K.POINTS, 0)])


def test_compact_merges_and_drops_zero_lines() -> None:
    lines = compact([Line(K.POINTS, 5), Line(K.POINTS, -2), Line(K.POINTS_DEBT, 0)])
    assert lines == [Line(K.POINTS, 3)]


# --- points --------------------------------------------------------------------------------


def test_spend_points_by_role_with_default() -> None:
    rules = [SpendRule(1, 100), SpendRule(2, 100, "brand"), SpendRule(0, 100, "trial")]
    lines = [(10_000, "brand"), (10_000, "profit"), (5_000, "trial")]
    # basis 25,000 fen: brand share 10,000 -> 200, profit 10,000 -> 100, trial -> 0
    assert spend_points(lines, 25_000, rules) == 300
    # a discount shrinks every share in proportion
    assert spend_points(lines, 12_500, rules) == 150
    assert spend_points([], 5_000, rules) == 50
    assert spend_points(lines, 0, rules) == 0
    assert spend_points(lines, 1000, []) == 0


@given(
    st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from([None, "brand", "trial"])),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 10**7),
)
def test_spend_points_never_exceed_the_best_rate(
    lines: list[tuple[int, str | None]], basis: int
) -> None:
    rules = [SpendRule(1, 100), SpendRule(3, 100, "brand")]
    assert 0 <= spend_points(lines, basis, rules) <= basis * 3 // 100


def test_multiplier_and_debt_repayment() -> None:
    assert apply_multiplier(101, 150) == 151
    assert split_earn(100, 30) == (30, 70)
    assert split_earn(20, 30) == (20, 0)


def _lots(*specs: tuple[int, int | None]) -> list[LotView]:
    return [
        LotView(i + 1, remaining, None if days is None else T0 + timedelta(days=days), i + 1)
        for i, (remaining, days) in enumerate(specs)
    ]


def test_fifo_takes_soonest_expiring_first_and_never_expiring_last() -> None:
    lots = _lots((50, None), (30, 200), (20, 100))
    assert consume_fifo(lots, 60) == [(3, 20), (2, 30), (1, 10)]
    with pytest.raises(LoyaltyConflictError) as caught:
        consume_fifo(lots, 101)
    assert caught.value.params == {"needed": 101, "available": 100}


@given(st.lists(st.tuples(st.integers(0, 500), st.none() | st.integers(0, 900)), max_size=12))
def test_fifo_takes_exactly_the_amount_within_each_lot(specs: list[tuple[int, int | None]]) -> None:
    lots = _lots(*specs)
    total = sum(lot.remaining for lot in lots)
    for amount in {0, total // 2, total}:
        taken = consume_fifo(lots, amount)
        assert sum(t for _, t in taken) == amount
        remaining = {lot.id: lot.remaining for lot in lots}
        assert all(0 < t <= remaining[i] for i, t in taken)


def test_due_lots_are_those_past_expiry_with_points() -> None:
    lots = _lots((5, 10), (0, 10), (7, 40), (9, None))
    assert [lot.id for lot in due_lots(lots, T0 + timedelta(days=10))] == [1]


def test_refund_keeps_points_in_proportion_to_what_is_still_paid() -> None:
    assert kept_points(100, 10_000, 10_000) == 100
    assert kept_points(100, 10_000, 2_500) == 25
    assert kept_points(100, 10_000, 0) == 0
    assert kept_points(100, 0, 0) == 0
    assert kept_points(99, 10_000, 3_333) == 32  # rounded down


def test_clawback_takes_the_orders_own_lot_first_then_fifo_then_debt() -> None:
    lots = [
        LotView(1, 40, T0 + timedelta(days=30), posting_id=11),
        LotView(2, 10, T0 + timedelta(days=90), posting_id=22),
    ]
    taken = clawback(lots, 30, own_posting_id=22)
    assert taken.taken == [(2, 10), (1, 20)] and taken.debt == 0
    short = clawback(lots, 80, own_posting_id=22)
    assert sum(t for _, t in short.taken) == 50 and short.debt == 30


# --- stored value --------------------------------------------------------------------------


def test_topup_bonus_picks_the_best_reached_rule_without_stacking() -> None:
    rules = [TopupRule("a", 50_000, 5_000), TopupRule("b", 100_000, 15_000)]
    assert topup_bonus(49_999, rules) == (0, "")
    assert topup_bonus(50_000, rules) == (5_000, "a")
    assert topup_bonus(250_000, rules) == (15_000, "b")


@pytest.mark.parametrize(
    ("order", "expected"),
    [(BonusOrder.BONUS_FIRST, (700, 300)), (BonusOrder.BONUS_LAST, (1000, 0))],
)
def test_spend_draws_bonus_first_or_last(order: BonusOrder, expected: tuple[int, int]) -> None:
    assert split_spend(1000, 5000, 300, order) == expected


def test_spend_never_overdraws() -> None:
    with pytest.raises(LoyaltyConflictError) as caught:
        split_spend(5301, 5000, 300, BonusOrder.BONUS_FIRST)
    assert caught.value.key == "loyalty.insufficient_balance"


def test_spend_refund_returns_principal_first_and_never_more_than_spent() -> None:
    assert split_spend_refund(500, (700, 300), (0, 0)) == (500, 0)
    assert split_spend_refund(500, (700, 300), (500, 0)) == (200, 300)
    with pytest.raises(LoyaltyConflictError):
        split_spend_refund(1, (700, 300), (700, 300))


def test_topup_refund_claws_back_the_bonus_and_charges_spent_bonus_to_the_cash() -> None:
    # top up 500 + 50 bonus; nothing spent: all back, all bonus clawed
    full = topup_refund(
        requested=None, topup=(50_000, 5_000), done=(0, 0), balances=(50_000, 5_000)
    )
    assert (full.principal, full.bonus_clawed, full.shortfall, full.cash) == (
        50_000,
        5_000,
        0,
        50_000,
    )
    # the bonus was spent: it is paid for out of the refunded principal
    spent = topup_refund(requested=None, topup=(50_000, 5_000), done=(0, 0), balances=(50_000, 0))
    assert (spent.bonus_clawed, spent.shortfall, spent.cash) == (0, 5_000, 45_000)
    # half now, half later: the same as all at once
    half = topup_refund(
        requested=25_000, topup=(50_000, 5_000), done=(0, 0), balances=(50_000, 5_000)
    )
    rest = topup_refund(
        requested=None, topup=(50_000, 5_000), done=(25_000, 2_500), balances=(25_000, 2_500)
    )
    assert half.bonus_clawed + rest.bonus_clawed == 5_000
    assert half.cash + rest.cash == 50_000


def test_topup_refund_cannot_exceed_the_topup_or_the_balance() -> None:
    for requested, done, balances in (
        (60_000, (0, 0), (90_000, 0)),
        (10_000, (45_000, 0), (90_000, 0)),
        (10_000, (0, 0), (5_000, 0)),
        (None, (50_000, 5_000), (90_000, 0)),
    ):
        with pytest.raises(LoyaltyConflictError):
            topup_refund(requested=requested, topup=(50_000, 5_000), done=done, balances=balances)


# --- cards ---------------------------------------------------------------------------------


def test_a_renewal_starts_when_the_live_term_ends() -> None:
    assert card_term(T0, 30, []) == (T0, T0 + timedelta(days=30))
    later = T0 + timedelta(days=10)
    assert card_term(T0, 30, [later]) == (later, later + timedelta(days=30))


def _refund(at_days: float, *, policy: str = "pro_rata", starts_days: int = 0) -> int:
    starts = T0 + timedelta(days=starts_days)
    return card_refund(
        price_fen=36_500, starts_at=starts, expires_at=starts + timedelta(days=365),
        purchased_at=T0, at=T0 + timedelta(days=at_days), policy=policy, cooling_off_days=7,
    )  # fmt: skip


def test_card_refund_full_in_cooling_off_then_pro_rata_by_unused_whole_days() -> None:
    assert _refund(6.9) == 36_500
    assert _refund(10) == 35_500  # 10 days used
    assert _refund(10.01) == 35_400  # a started day counts as used
    assert _refund(364.5) == 0
    assert _refund(30, policy="none") == 0
    assert _refund(30, starts_days=100) == 36_500  # a renewal not yet begun


def test_an_expired_card_cannot_be_refunded() -> None:
    with pytest.raises(LoyaltyConflictError) as caught:
        _refund(365)
    assert caught.value.key == "loyalty.card_expired"


@given(st.floats(0, 364.99))
def test_card_refund_is_within_the_price(days: float) -> None:
    assert 0 <= _refund(days) <= 36_500


# --- tiers ---------------------------------------------------------------------------------

BASE = TierRule(1, "base", 0, 365, None, None)
SILVER = TierRule(2, "silver", 1, 365, 100_000, None)
GOLD = TierRule(3, "gold", 2, 180, 300_000, 3_000)
BLACK = TierRule(4, "black", 3, 365, None, None)  # card only
TIERS = [BASE, SILVER, GOLD, BLACK]


def _standing(spend365: int = 0, spend180: int = 0, points180: int = 0, card: int | None = None):
    return Standing({365: spend365, 180: spend180}, {365: 0, 180: points180}, card)


def test_qualify_by_spend_points_or_card_in_each_tiers_window() -> None:
    assert qualify(TIERS, _standing()).tier == BASE  # type: ignore[union-attr]
    assert qualify(TIERS, _standing(spend365=100_000)).tier == SILVER  # type: ignore[union-attr]
    found = qualify(TIERS, _standing(spend365=400_000, spend180=10))
    assert found is not None and found.tier == SILVER  # gold looks at 180 days only
    by_points = qualify(TIERS, _standing(points180=3_000))
    assert by_points is not None and (by_points.tier, by_points.basis) == (GOLD, "points")
    by_card = qualify(TIERS, _standing(card=BLACK.id))
    assert by_card is not None and (by_card.tier, by_card.basis) == (BLACK, "card")
    assert qualify([], _standing()) is None


def test_upgrade_at_once_downgrade_after_retention_card_tiers_end_with_the_card() -> None:
    gold = Qualification(GOLD, "spend", "x")
    base = Qualification(BASE, "base", "")
    up = decide_tier(Held(SILVER, "spend", None), gold, T0, 365)
    assert up.changed and up.tier == GOLD and up.retain_until == T0 + timedelta(days=365)
    kept = decide_tier(Held(GOLD, "spend", T0 + timedelta(days=1)), base, T0, 365)
    assert not kept.changed and kept.reason == "retained"
    down = decide_tier(Held(GOLD, "spend", T0), base, T0, 365)
    assert down.changed and down.tier == BASE and down.reason == "downgrade"
    card_gone = decide_tier(Held(BLACK, "card", T0 + timedelta(days=99)), base, T0, 365)
    assert card_gone.changed and card_gone.tier == BASE
    joined = decide_tier(None, gold, T0, 0)
    assert joined.changed and joined.reason == "join:spend" and joined.retain_until is None


def test_benefits_merge_to_the_best_of_each() -> None:
    merged = Benefits(500, 100, False, True).merged(Benefits(300, 150, True, False))
    assert merged == Benefits(500, 150, True, True)
