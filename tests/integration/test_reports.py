"""Reports on the demo brand, on SQLite and PostgreSQL: the figures the analytics compute,
CLV from the published profiles, and the brand's ground truth about its channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import ibis
import pytest
from sqlalchemy.orm import Session

from siyu.analytics import ladder
from siyu.analytics.channels import ChannelFigures, channel_economics
from siyu.demo.loader import DemoLoader
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher
from siyu.loyalty import repository as loyalty
from siyu.reports import repository, rules
from siyu.reports.service import FAMILIES, build_report, compute_figures
from siyu.scoring.features import gross_margin
from siyu.scoring.service import run_daily
from siyu.warehouse.engine import connect, tables

# The snapshot reads committed data through a connection of its own: commit what is loaded.
pytestmark = pytest.mark.committed


def test_report_and_channel_ground_truth(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    brand = simulate_brand(orders=8_000, seed=21)
    DemoLoader(session, workspace_id, cipher, brand).load()
    session.commit()
    end = datetime.combine(brand.end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    run_daily(session, workspace_id, root=tmp_path, as_of=end)
    session.commit()

    report = build_report(session, workspace_id, root=tmp_path, grain="month", locale="en")
    assert report.period.label == brand.end.strftime("%Y-%m")  # the data end before yesterday
    assert tuple(report.seconds) == FAMILIES
    # the same figures, computed again from the snapshot and the published CLV
    clv_rows, clv_as_of = repository.published_clv(session, workspace_id)
    assert clv_as_of == end.date() and clv_rows.num_rows > 1_000
    t = tables(connect("duckdb"), tmp_path)
    members = tuple(loyalty.ladder_members(session, workspace_id, moment)
                    for moment in rules.migration_bounds(report.period))  # fmt: skip
    again = compute_figures(t, report.period, clv=ibis.memtable(clv_rows), clv_as_of=clv_as_of,
                            members=(members[0], members[1]))  # fmt: skip
    names = repository.channel_names(session, workspace_id)
    products = repository.product_names(session, workspace_id)
    assert rules.sections(again, names, products, "en") == report.sections
    members_at_end = loyalty.ladder_members(session, workspace_id, report.period.until)
    assert int(report.figures.ladder.matrix[:, ladder.MEMBER].sum()) == len(set(members_at_end))
    pool = report.section("pool").rows[0]
    assert pool[0] > 0 and pool[4] is not None and pool[4] > 0  # the pool has a value

    # Ground truth: the red-envelope card brings the most joiners, cheaply, who leave and do
    # not come back; the customer-service invitation and the plain package card bring
    # fewer, who buy again and are worth many times their cost.
    figures = channel_economics(t, end, clv=ibis.memtable(clv_rows),
                                margin=gross_margin(t["order_lines"]))  # fmt: skip
    by_code: dict[str, ChannelFigures] = {
        names[f.channel_id].code: f for f in figures if f.channel_id is not None
    }
    red = by_code.pop("red_envelope_card")
    assert all(red.joiners > f.joiners for f in by_code.values())
    assert red.lost_within[0].share is not None
    assert all(red.lost_within[0].share > 2 * (f.lost_within[0].share or 0)
               for f in by_code.values())  # fmt: skip
    assert all(red.repurchase_rate < (f.repurchase_rate or 1) for f in by_code.values())
    for better in ("cs_invite", "package_card"):
        good = by_code[better]
        assert good.joiners < red.joiners / 2
        assert red.ltv_fen is not None and good.ltv_fen is not None
        assert good.ltv_fen > 1.5 * red.ltv_fen
        assert red.ltv_cac is not None and good.ltv_cac is not None
        assert good.ltv_cac > 10 * red.ltv_cac
