"""The demo brand's loyalty loads through the use cases and passes the audit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.demo.loader import DemoLoader
from siyu.demo.loyalty import load_loyalty
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher
from siyu.loyalty import service
from siyu.models import LoyaltyCard, LoyaltyMembership, LoyaltyPosting


def test_demo_loyalty_loads_and_audits_clean(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    brand = simulate_brand(orders=4_000, seed=5)
    loaded = DemoLoader(session, workspace_id, cipher, brand).load()
    summary = load_loyalty(session, workspace_id, brand, loaded.customer_ids)
    counts = summary.counts
    assert counts["orders earning points"] > 1_000
    assert counts["paid members"] >= 5 and counts["stored-value customers"] >= 5
    assert counts["joining points"] > 0 and counts["redemptions"] > 0
    report = service.audit(session, workspace_id)
    assert report.issues == []
    assert report.totals["points_issued"] < 0 < report.totals["points_redeemed"]
    assert report.totals["card_revenue"] > 0 and report.totals["sv_principal"] > 0
    kinds = dict(
        session.execute(
            select(LoyaltyPosting.kind, func.count())
            .where(LoyaltyPosting.workspace_id == workspace_id)
            .group_by(LoyaltyPosting.kind)
        ).all()
    )
    assert {"earn", "redeem", "topup", "spend", "card_purchase"} <= set(kinds)
    cards = session.scalar(
        select(func.count())
        .select_from(LoyaltyCard)
        .where(LoyaltyCard.workspace_id == workspace_id)
    )
    assert cards == counts["paid members"]
    members = session.scalar(
        select(func.count())
        .select_from(LoyaltyMembership)
        .where(LoyaltyMembership.workspace_id == workspace_id)
    )
    assert members and members >= counts["members above the base tier"]
