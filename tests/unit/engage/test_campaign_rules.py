"""Campaign rules: randomisation, holdout, templates, and the statistics' coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from siyu.engage.campaigns.rules import (
    CONTROL,
    TREATMENT,
    assign,
    in_holdout,
    mean_difference,
    proportion_difference,
    render,
    template_fields,
    uniform,
    unknown_fields,
    wilson,
)
from siyu.engage.content.rules import DEFAULT_BANNED, banned_hits

IDS = np.arange(1, 200_001, dtype=np.int64)


def test_assignment_is_reproducible_and_matches_the_shares() -> None:
    arm, variant = assign(IDS, seed=42, control_share=0.2, weights=[3, 1])
    again, _ = assign(IDS, seed=42, control_share=0.2, weights=[3, 1])
    assert (arm == again).all()
    assert abs((arm == CONTROL).mean() - 0.2) < 0.005
    treated = arm == TREATMENT
    assert abs((variant[treated] == 0).mean() - 0.75) < 0.005
    # variant draws are independent of the arm draw
    assert abs((variant[~treated] == 0).mean() - 0.75) < 0.01
    other, _ = assign(IDS, seed=43, control_share=0.2, weights=[1])
    assert 0.3 < ((arm == CONTROL) & (other == CONTROL)).sum() / (arm == CONTROL).sum() * 5 < 1.7


def test_uniform_is_uniform_and_holdout_is_stable() -> None:
    u = uniform(IDS, 7)
    assert stats.kstest(u, "uniform").pvalue > 0.001
    held = in_holdout(IDS, salt=99, share=0.05)
    assert abs(held.mean() - 0.05) < 0.003
    assert (held == in_holdout(IDS, salt=99, share=0.05)).all()
    assert not in_holdout(IDS, salt=99, share=0.0).any()


def test_templates() -> None:
    content = {"text": "{name}，您的{product}快用完了吧？{offer}", "subject": "hi"}
    assert template_fields(content["text"]) == {"name", "product", "offer"}
    assert unknown_fields(content) == set()
    assert unknown_fields({"text": "{coupon_code}"}) == {"coupon_code"}
    filled = render(content, {"product": "精华", "offer": "满 199 减 30"})
    assert filled["text"] == "{name}，您的精华快用完了吧？满 199 减 30"


def test_banned_words() -> None:
    hits = banned_hits({"text": "全网第一的精华，效果最好！", "title": "ok"}, DEFAULT_BANNED)
    assert {(h.field, h.word) for h in hits} == {("text", "全网第一"), ("text", "最好")}
    assert banned_hits({"text": "100% 有效"}, ["100%"])[0].word == "100%"
    assert banned_hits({"text": "fine"}, []) == []


def test_wilson_and_newcombe_known_values() -> None:
    low, high = wilson(81, 263, 1.959964)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)  # Newcombe (1998), example
    # Newcombe (1998) table II, example (a): 56/70 vs 48/80 -> 0.2000 [0.0524, 0.3338]
    diff = proportion_difference(56, 70, 48, 80)
    assert (round(diff.value, 4), round(diff.low, 4), round(diff.high, 4)) == (0.2, 0.0524,
                                                                              0.3339)  # fmt: skip


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.lognormal(4, 1, 300), rng.lognormal(3.8, 1.2, 200)
    ours = mean_difference(a, b)
    theirs = stats.ttest_ind(a, b, equal_var=False)
    assert math.isclose(ours.p_value, float(theirs.pvalue), rel_tol=1e-9)
    ci = theirs.confidence_interval(0.95)
    assert math.isclose(ours.low, float(ci.low)) and math.isclose(ours.high, float(ci.high))


@pytest.mark.parametrize(("p_t", "p_c", "n"), [(0.06, 0.04, 2000), (0.3, 0.3, 300)])
def test_conversion_interval_covers_the_truth(p_t: float, p_c: float, n: int) -> None:
    rng = np.random.default_rng(5)
    runs = 1500
    x_t, x_c = rng.binomial(n, p_t, runs), rng.binomial(n, p_c, runs)
    covered = sum(
        (e := proportion_difference(int(a), n, int(b), n)).low <= p_t - p_c <= e.high
        for a, b in zip(x_t, x_c, strict=True)
    )
    assert 0.93 <= covered / runs <= 0.975


def test_revenue_interval_covers_the_truth_on_skewed_spend() -> None:
    rng = np.random.default_rng(8)
    covered, runs = 0, 600
    for _ in range(runs):
        buy_t, buy_c = rng.random(3000) < 0.08, rng.random(3000) < 0.06
        t = np.where(buy_t, rng.lognormal(5, 0.8, 3000), 0.0)
        c = np.where(buy_c, rng.lognormal(5, 0.8, 3000), 0.0)
        truth = (0.08 - 0.06) * math.exp(5 + 0.8**2 / 2)
        e = mean_difference(t, c)
        covered += e.low <= truth <= e.high
    assert 0.92 <= covered / runs <= 0.98
