"""Invite priority rules: stage weights, reachability, budget."""

from __future__ import annotations

import numpy as np

from siyu.invites.rules import Candidates, Touchpoint, eligible, plan, scores

NAN = float("nan")


def cands(**columns: list[object]) -> Candidates:
    n = len(next(iter(columns.values())))
    base: dict[str, list[object]] = {
        "customer_id": list(range(1, n + 1)),
        "n_purchases": [1] * n,
        "clv_fen": [NAN] * n,
        "net_paid_fen": [10_000.0] * n,
        "p_alive": [NAN] * n,
        "expected_purchases": [NAN] * n,
        "days_since_purchase": [100.0] * n,
        "days_to_next": [NAN] * n,
        "has_phone": [True] * n,
        "sms_opt_out": [False] * n,
    }
    base |= columns
    kinds = {
        "customer_id": np.int64,
        "n_purchases": np.int64,
        "has_phone": bool,
        "sms_opt_out": bool,
    }
    return Candidates(**{k: np.array(v, dtype=kinds.get(k, np.float64)) for k, v in base.items()})


# a loyal repeat buyer, a valuable but fading one, and a fresh first-time buyer
THREE = cands(
    n_purchases=[6, 3, 1],
    clv_fen=[80_000.0, 90_000.0, 20_000.0],
    p_alive=[0.95, 0.3, 0.15],
    expected_purchases=[4.0, 0.5, 0.6],
    days_since_purchase=[20.0, 300.0, 2.0],
)


def test_mature_brand_favours_repeat_buyers_and_drops_fading_one_timers() -> None:
    score = scores(THREE, "mature")
    assert score[0] > score[1] > 0 and score[2] == -1


def test_new_brand_also_invites_the_fresh_first_time_buyer() -> None:
    new, growing = scores(THREE, "new"), scores(THREE, "growing")
    assert new[2] >= 0 and new[2] > growing[2]
    assert new[2] - new[1] > growing[2] - growing[1]


def test_missing_clv_falls_back_to_spend() -> None:
    score = scores(cands(net_paid_fen=[1_000.0, 50_000.0]), "growing")
    assert score[1] > score[0]


def test_touchpoints_need_a_way_in() -> None:
    c = cands(
        days_to_next=[10.0, 90.0, NAN],
        has_phone=[False, True, True],
        sms_opt_out=[False, True, False],
        days_since_purchase=[100.0, 3.0, 100.0],
    )
    open_to = eligible(c)
    assert open_to["package_card"].tolist() == [True, False, False]
    assert open_to["sms"].tolist() == [False, False, True]
    assert open_to["customer_service"].tolist() == [False, True, False]


def test_budget_is_spent_down_the_ranking_on_the_cheapest_way_per_joiner() -> None:
    c = cands(
        clv_fen=[90_000.0, 50_000.0, 10_000.0, 5_000.0],
        days_to_next=[10.0, NAN, NAN, 10.0],
        has_phone=[True, True, False, True],
        days_since_purchase=[100.0, 100.0, 100.0, 100.0],
    )
    points = {
        "package_card": Touchpoint(40, 0.10),
        "sms": Touchpoint(5, 0.02),
        "customer_service": Touchpoint(50, 0.20),
    }
    chosen = plan(c, stage="growing", budget_fen=10, touchpoints=points)
    # per expected joiner SMS costs 250 fen, the card 400, the chat 250 but it needs a chat
    assert chosen.index.tolist() == [0, 1]
    assert chosen.touchpoint == ["sms", "sms"] and chosen.cost_fen.tolist() == [5, 5]
    assert chosen.skipped_unreachable == 1  # customer 3: no phone, no order expected, no chat
    dear_sms = points | {"sms": Touchpoint(100, 0.02)}
    again = plan(c, stage="growing", budget_fen=50, touchpoints=dear_sms)
    assert again.touchpoint == ["package_card"]  # 40 fen; then 100 more would exceed 50


def test_empty() -> None:
    empty = cands(customer_id=[])
    assert plan(empty, stage="mature", budget_fen=100).index.tolist() == []
