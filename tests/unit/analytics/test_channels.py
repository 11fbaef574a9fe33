"""Channel economics of the small brand, as of the end of June 2026 (every join matured).

Entries: ch1 C1 (Jan 6, deleted Jan 8), C3 (Feb 11, removed by staff), C5 (Feb 5, blocked
Feb 10); ch2 C2 (Jan 20), C6 (Jan 10, deleted Mar 25); ch3 C7 (Feb 20, deleted Mar 5);
no channel: C4 (Mar 15). Spend: ch1 3 x 6000, ch2 2 x 100, ch4 500 (nobody joined by it).
"""

from __future__ import annotations

import ibis
import pytest
from ibis.expr.types import Table

from siyu.analytics.channels import ChannelFigures, channel_economics, payback_months
from siyu.analytics.periods import period_of
from tests.fixtures.snapshot import cn

END_OF_JUNE = period_of("month", cn("2026-06-01").date()).until
CLV = ibis.memtable(
    {"customer_id": [1, 2, 3, 4], "clv_fen": [5_000, None, 7_000, 1_000]},
    schema={"customer_id": "int64", "clv_fen": "int64"},
)


def _by_id(figures: list[ChannelFigures]) -> dict[int | None, ChannelFigures]:
    return {f.channel_id: f for f in figures}


def test_channel_economics_by_hand(brand: dict[str, Table]) -> None:
    found = _by_id(channel_economics(brand, END_OF_JUNE, clv=CLV, margin=0.5))
    assert list(found) == [1, 2, 3, 4, None]
    red = found[1]
    assert (red.joiners, red.cost_fen, red.cac_fen) == (3, 18_000, 6_000)
    # C1 bought 19 days after joining; C3 only the day before; C5 never
    assert [(w.days, w.matured, w.hits) for w in red.bought_within] == [(30, 3, 1), (90, 3, 1)]
    # C1 deleted after 2 days, C5 blocked after 5; C3 was removed by staff
    assert [(w.days, w.matured, w.hits) for w in red.lost_within] == [(7, 3, 2), (30, 3, 2)]
    assert (red.buyers, red.repeat_buyers, red.repurchase_rate) == (2, 1, 0.5)
    assert (red.revenue_after_join_fen, red.predicted_clv_fen) == (50_000, 12_000)
    # (0.5 * 50000 + 12000) / 3 joiners
    assert red.ltv_fen == pytest.approx(37_000 / 3)
    assert red.ltv_cac == pytest.approx(37_000 / 3 / 6_000)
    # month 1: 0.5 * 30000 / 3 = 5000 < 6000; month 2: 0.5 * 50000 / 3 = 8333 >= 6000
    assert red.payback_months == 2
    good = found[2]
    assert (good.joiners, good.cac_fen) == (2, 100)
    # C2 bought 11.5 days after joining, C6 80.5 days after
    assert [w.hits for w in good.bought_within] == [1, 2]
    assert [w.hits for w in good.lost_within] == [0, 0]  # C6 left after 74 days
    assert (good.revenue_after_join_fen, good.predicted_clv_fen) == (22_000, 0)
    assert good.ltv_cac == pytest.approx(0.5 * 22_000 / 2 / 100)
    assert good.payback_months == 1
    free = found[3]
    assert (free.joiners, free.cost_fen, free.ltv_cac, free.payback_months) == (1, 0, None, None)
    assert [w.hits for w in free.lost_within] == [0, 1]  # 13 days
    unused = found[4]
    assert (unused.joiners, unused.cost_fen, unused.cac_fen, unused.ltv_fen) == (0, 500, None, None)
    organic = found[None]
    assert (organic.joiners, organic.predicted_clv_fen) == (1, 1_000)


def test_a_window_takes_its_joiners_and_its_spend(brand: dict[str, Table]) -> None:
    found = _by_id(
        channel_economics(brand, END_OF_JUNE, joined_from=cn("2026-02-01 00:00"), margin=0.5)
    )
    assert list(found) == [1, 3, 4, None]
    assert (found[1].joiners, found[1].cost_fen, found[1].predicted_clv_fen) == (2, 12_000, 0)


def test_young_joiners_are_not_yet_judged(brand: dict[str, Table]) -> None:
    end_of_march = period_of("month", cn("2026-03-01").date()).until
    found = _by_id(channel_economics(brand, end_of_march))
    # nobody joined 90 days before March 31; C4 (Mar 15) not even 30 days
    assert [w.matured for w in found[1].bought_within] == [3, 0]
    assert found[1].bought_within[1].share is None
    assert found[None].lost_within[0].matured == 1 and found[None].lost_within[1].matured == 0


def test_payback_is_none_when_never_reached() -> None:
    import pandas as pd

    ages = pd.DataFrame({"age": [3], "joiners": [2]})
    cells = pd.DataFrame({"age": [3, 3], "since": [0, 2], "net_fen": [100, 300]})
    assert payback_months(100.0, 0.5, ages, cells) == 3  # 0.5 * 400 / 2 = 100
    assert payback_months(101.0, 0.5, ages, cells) is None
