"""Referral rules: fraud checks, rewards earned, K-factor and the referral tree."""

from __future__ import annotations

import pytest

from siyu.referral.rules import (
    Edge,
    ReferrerSignals,
    Signals,
    earned,
    fraud_reasons,
    generations,
    k_factor,
    tree,
)
from siyu.referral.schemas import CampaignRules, RewardRule

RULES = CampaignRules(
    rewards=[
        RewardRule(trigger="join", beneficiary="referrer", kind="points", amount=100),
        RewardRule(
            trigger="first_order",
            beneficiary="referrer",
            kind="stored_value",
            amount=1_000,
            min_order_fen=5_000,
        ),
        RewardRule(trigger="first_order", beneficiary="referee", kind="coupon", amount=500),
    ],
    max_referrals_per_day=3,
    max_rewarded_referrals=5,
    max_same_address=2,
)
REFERRER = ReferrerSignals(1, frozenset({"p1"}), frozenset({"a1"}), frozenset({"d1"}))


def check(referee: Signals, siblings: list[Signals] | None = None, **kwargs: object) -> list[str]:
    options: dict[str, object] = {
        "referrals_today": 1,
        "rewarded_before": 0,
        "already_in_pool": False,
    } | kwargs
    return fraud_reasons(referee, REFERRER, siblings or [referee], rules=RULES, **options)  # type: ignore[arg-type]


def test_a_clean_referral() -> None:
    assert check(Signals(10, 2, "p2", "a2", "d2")) == []


def test_self_referral_and_shared_signals_with_the_referrer() -> None:
    assert check(Signals(10, 1)) == ["self_referral"]
    assert check(Signals(10, 2, phone="p1", address="a1", device="d1")) == [
        "same_phone_as_referrer",
        "same_address_as_referrer",
        "same_device_as_referrer",
    ]


def test_the_same_phone_device_or_address_across_different_people() -> None:
    siblings = [Signals(11, 3, "p9", "a9", "d9"), Signals(12, 4, "p8", "a9", "d8")]
    me = Signals(10, 2, "p9", "a9", "d8")
    assert check(me, [*siblings, me]) == ["shared_phone", "shared_device", "shared_address"]
    other = Signals(20, 7, "p7", "", "d7")
    assert check(Signals(10, 2, device="d7"), campaign_others=[other]) == ["shared_device"]


def test_farming_beyond_limits() -> None:
    me = Signals(10, 2)
    assert check(me, referrals_today=4) == ["daily_limit"]
    assert check(me, rewarded_before=5) == ["reward_cap"]
    assert check(me, already_in_pool=True) == ["already_in_pool"]


def test_rewards_earned_by_trigger_and_order_size() -> None:
    assert [r.kind for r in earned(RULES, "join")] == ["points"]
    assert [r.kind for r in earned(RULES, "first_order", order_fen=4_999)] == ["coupon"]
    assert [r.kind for r in earned(RULES, "first_order", order_fen=5_000)] == [
        "stored_value",
        "coupon",
    ]


def test_k_factor_and_generations() -> None:
    edges = [
        Edge(1, 2, True, False),
        Edge(1, 3, False, False),
        Edge(2, 4, True, False),
        Edge(4, 5, False, False),
        Edge(6, 7, False, True),
    ]
    k = k_factor(10, edges)
    assert (k.holders, k.referrers, k.joiners, k.converted, k.flagged) == (10, 3, 4, 2, 1)
    assert k.k_join == pytest.approx(0.4) and k.k_order == pytest.approx(0.2)
    assert k.generations == 3
    assert generations([Edge(1, 2, False, False), Edge(2, 1, False, False)])  # a cycle ends
    assert k_factor(0, []).k_join == 0.0


def test_tree() -> None:
    forest = tree(
        [
            Edge(1, 2, True, False),
            Edge(2, 3, False, False),
            Edge(1, 4, False, True),
            Edge(5, 5, False, True),
        ]
    )
    assert [n.customer_id for n in forest] == [1]
    root = forest[0]
    assert [(c.customer_id, c.converted, c.flagged) for c in root.children] == [
        (2, True, False),
        (4, False, True),
    ]
    assert root.children[0].children[0].customer_id == 3
