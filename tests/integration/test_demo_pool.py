"""The demo brand shows channel codes, groups with a dead one, and a referral campaign."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.channels import service as channels
from siyu.demo.loader import DemoLoader
from siyu.demo.pool_extras import REFERRAL_CAMPAIGN
from siyu.demo.simulator import simulate_brand
from siyu.groups.service import default_as_of, group_health
from siyu.kit.crypto import PiiCipher
from siyu.models import ChannelCost, ChannelJoin, Contact, GroupMember
from siyu.referral import service as referral


def test_demo_pool_extras(session: Session, workspace_id: int, cipher: PiiCipher) -> None:
    brand = simulate_brand(orders=5_000, seed=3)
    summary = DemoLoader(session, workspace_id, cipher, brand).load()
    codes = {s.code.code: s for s in channels.list_codes(session, workspace_id)}
    assert {"red_envelope_card", "package_card", "cs_invite", "double11_live"} <= set(codes)
    assert codes["double11_live"].code.status == "archived"
    assert codes["red_envelope_card"].joins > 0
    assert codes["red_envelope_card"].backup_staff == ["wecom_lanlan"]
    wecom_contacts = session.scalar(
        select(func.count()).where(
            Contact.workspace_id == workspace_id,
            Contact.carrier == "wecom",
            Contact.channel_id.is_not(None),
        )
    )
    assert summary.counts["channel_joins"] == wecom_contacts
    assert session.scalar(select(func.count()).select_from(ChannelJoin)) == wecom_contacts
    # the simulator's costs stand: joins through codes book nothing more
    costs = session.scalar(
        select(func.sum(ChannelCost.amount_fen)).where(ChannelCost.workspace_id == workspace_id)
    )
    assert costs == int(brand.channel_costs.amount_fen.sum())

    as_of = default_as_of(session, workspace_id, brand.end + timedelta(days=30))
    assert as_of == brand.end + timedelta(days=1)
    health = {
        h.group.name: h.figures.status for h in group_health(session, workspace_id, as_of=as_of)
    }
    assert health["福利群 3（领红包）"] == "dead"
    assert health["会员福利群 1"] == "declining"
    assert list(health.values()).count("healthy") == 4
    members = session.scalar(
        select(func.count()).select_from(GroupMember).where(GroupMember.kind == "customer")
    )
    groups = session.scalar(
        select(func.count()).where(
            Contact.carrier == "group", Contact.carrier_ref.like("wr_demo_%")
        )
    )
    assert members == groups and members > 0

    k = referral.campaign_k_factor(session, workspace_id, REFERRAL_CAMPAIGN)
    assert k.joiners > 0 and 0 < k.k_join < 1 and k.generations >= 1
    assert k.holders == summary.counts["referral_codes"]
    assert summary.counts["referrals"] == k.joiners + k.flagged
