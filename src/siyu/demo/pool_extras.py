"""The demo brand's channel codes, joins, groups (one of them dead) and a referral campaign.

Built on top of what the loader wrote, through the same services the product uses where
they are fast enough, and seeded from the brand's seed so the same seed gives the same
demo. Nothing here changes the simulated truth: no new contacts or channel costs (the
simulator already booked each joiner's cost); group contacts get a group chat to belong to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from siyu.channels import service as channels
from siyu.channels.schemas import ChannelCodeCreate
from siyu.db import bulk
from siyu.demo.simulator import DemoBrand
from siyu.kit.clock import CHINA_TZ
from siyu.kit.crypto import PiiCipher
from siyu.models import ChannelCode, ChannelJoin, Contact, GroupActivity, GroupChat, GroupMember
from siyu.models.enums import ChannelKind
from siyu.pool import repository as pool_repository
from siyu.referral import service as referral
from siyu.referral.schemas import CampaignCreate, CampaignRules, RewardRule

WELCOME: dict[str, str] = {
    "package_card": "您好，我是拾光茶事的专属茶顾问～ 回复「1」领取《一杯好茶的冲泡指南》，"
    "新客专享 3 元券已放入您的账户。",
    "sms": "感谢您回到拾光茶事！回复「春茶」看看本季新茶，有问题随时找我。",
    "customer_service": "您好，售后和冲泡问题都可以直接问我，我会一直在～",
    "live_stream": "欢迎来自直播间的茶友！直播专享价商品链接稍后发您。",
    "kol": "欢迎！达人推荐的品鉴套组，冲泡时水温 85℃ 最好～",
    "ads": "欢迎来到拾光茶事会员商城，首单立减 10 元。",
}
# (primaries, backups) by channel code; staff codes are the demo brand's WeCom accounts
POOLS: dict[str, tuple[list[str], list[str]]] = {
    "red_envelope_card": (["wecom_tingting", "wecom_xiaoya"], ["wecom_lanlan"]),
    "package_card": (["wecom_xiaoya", "wecom_lanlan"], ["wecom_amu"]),
    "cs_invite": (["wecom_lanlan", "wecom_amu"], ["wecom_chenge"]),
    "sms_invite": (["wecom_amu", "wecom_chenge"], ["wecom_xiaoya"]),
    "live_stream": (["wecom_tingting", "wecom_amu"], ["wecom_xiaoya"]),
    "kol": (["wecom_chenge", "wecom_founder"], ["wecom_lanlan"]),
    "moments_ads": (["wecom_xiaoya", "wecom_tingting"], ["wecom_amu"]),
}
# (group name, health) per owner; the red-envelope hostess's group is the dead one
GROUPS: dict[str, tuple[str, str]] = {
    "wecom_xiaoya": ("拾光茶事·老茶客交流群", "healthy"),
    "wecom_amu": ("茶艺课堂群", "healthy"),
    "wecom_lanlan": ("会员福利群 1", "declining"),
    "wecom_chenge": ("老茶客品鉴群", "healthy"),
    "wecom_tingting": ("福利群 3（领红包）", "dead"),
    "wecom_founder": ("创始人茶友会", "healthy"),
}
ACTIVITY_DAYS = 56
REFERRAL_CAMPAIGN = "old_brings_new"


@dataclass
class _Context:
    session: Session
    workspace_id: int
    cipher: PiiCipher
    brand: DemoBrand
    customer_ids: np.ndarray[Any, np.dtype[np.int64]]
    rng: np.random.Generator


def load_pool_extras(
    session: Session,
    workspace_id: int,
    cipher: PiiCipher,
    brand: DemoBrand,
    customer_ids: np.ndarray[Any, np.dtype[np.int64]],
) -> dict[str, int]:
    """Write the demo's codes, joins, groups and referral campaign; return counts."""
    ctx = _Context(
        session,
        workspace_id,
        cipher,
        brand,
        customer_ids,
        np.random.default_rng([brand.seed, 2024]),
    )
    counts = {"channel_codes": _codes(ctx)}
    counts["channel_joins"] = _joins(ctx)
    counts.update(_groups(ctx))
    counts.update(_referrals(ctx))
    return counts


def _end(brand: DemoBrand) -> datetime:
    return datetime.combine(brand.end + timedelta(days=1), datetime.min.time(), CHINA_TZ)


def _codes(ctx: _Context) -> int:
    staff = {s.code for s in ctx.brand.staff}
    made = 0
    for channel in ctx.brand.channels:
        primaries, backups = POOLS.get(channel.code, ([], []))
        primaries = [s for s in primaries if s in staff]
        if not primaries:
            continue
        kind = ChannelKind(channel.kind)
        paused = channel.code == "moments_ads"
        code = channels.create_code(
            ctx.session,
            ctx.workspace_id,
            ChannelCodeCreate(
                code=channel.code,
                name=channel.name,
                channel=channel.code,
                channel_kind=kind,
                staff=primaries,
                backup_staff=[s for s in backups if s in staff],
                routing="least_loaded" if paused else "round_robin",
                welcome_text=WELCOME.get(channel.kind, ""),
                cost_per_join_fen=channel.cost_per_joiner_fen,
            ),
        )
        code.status = "paused" if paused else "active"
        made += 1
    if {"wecom_tingting", "wecom_amu"} <= staff:  # a campaign code that has ended
        ended = channels.create_code(
            ctx.session,
            ctx.workspace_id,
            ChannelCodeCreate(
                code="double11_live",
                name="双 11 直播专场加微",
                channel="live_stream",
                channel_kind=ChannelKind.LIVE_STREAM,
                staff=["wecom_tingting", "wecom_amu"],
                welcome_text=WELCOME["live_stream"],
                cost_per_join_fen=350,
                starts_at=datetime(2025, 11, 1, tzinfo=CHINA_TZ),
                ends_at=datetime(2025, 11, 12, tzinfo=CHINA_TZ),
            ),
        )
        ended.status = "archived"
        made += 1
    return made


def _joins(ctx: _Context) -> int:
    """A join row per WeCom contact that came through a channel: its code, cost, outcome."""
    codes = {
        c.channel_id: c
        for c in ctx.session.scalars(
            select(ChannelCode).where(
                ChannelCode.workspace_id == ctx.workspace_id, ChannelCode.status != "archived"
            )
        )
    }
    cost = {c.code: c.cost_per_joiner_fen for c in ctx.brand.channels}
    referral_channel = {
        cid: code for cid, code in _channel_codes(ctx).items() if code == "referral"
    }
    rows = []
    for contact in ctx.session.execute(
        select(
            Contact.id,
            Contact.customer_id,
            Contact.channel_id,
            Contact.staff_account_id,
            Contact.joined_at,
        ).where(
            Contact.workspace_id == ctx.workspace_id,
            Contact.carrier == "wecom",
            Contact.channel_id.is_not(None),
        )
    ):
        code = codes.get(contact.channel_id)
        if code is None and contact.channel_id not in referral_channel:
            continue
        rows.append(
            {
                "workspace_id": ctx.workspace_id,
                "channel_code_id": code.id if code else None,
                "channel_id": contact.channel_id,
                "contact_id": contact.id,
                "customer_id": contact.customer_id,
                "staff_account_id": contact.staff_account_id,
                "state": code.code if code else "",
                "outcome": "attributed" if code else "referral",
                "cost_fen": code.cost_per_join_fen if code else cost.get("referral", 0),
                "joined_at": contact.joined_at,
            }
        )
    bulk.insert_rows(ctx.session, ChannelJoin, rows)
    return len(rows)


def _channel_codes(ctx: _Context) -> dict[int, str]:
    return {v: k for k, v in pool_repository.channel_ids(ctx.session, ctx.workspace_id).items()}


def _groups(ctx: _Context) -> dict[str, int]:
    """One group chat per WeCom staff member holding the brand's group contacts."""
    staff = {s.code: s for s in ctx.brand.staff}
    ids = pool_repository.staff_ids(ctx.session, ctx.workspace_id)
    external = _external_ids(ctx)
    start = datetime.combine(ctx.brand.start, datetime.min.time(), CHINA_TZ)
    groups: dict[str, GroupChat] = {}
    for owner, (name, _health) in GROUPS.items():
        if owner in staff:
            groups[owner] = GroupChat(
                workspace_id=ctx.workspace_id,
                chat_ref=f"wr_demo_{owner}",
                name=name,
                owner_staff_id=ids[owner],
                started_at=start,
            )
    ctx.session.add_all(groups.values())
    ctx.session.flush()
    by_staff_id = {ids[o]: g for o, g in groups.items()}
    fallback = next(iter(groups.values()))
    members, moves = [], []
    for contact in ctx.session.execute(
        select(
            Contact.id,
            Contact.customer_id,
            Contact.staff_account_id,
            Contact.joined_at,
            Contact.left_at,
        ).where(Contact.workspace_id == ctx.workspace_id, Contact.carrier == "group")
    ):
        group = by_staff_id.get(contact.staff_account_id, fallback)
        moves.append({"cid": contact.id, "ref": group.chat_ref})
        who = external.get(contact.customer_id, f"customer-{contact.customer_id}")
        members.append(
            {
                "workspace_id": ctx.workspace_id,
                "group_chat_id": group.id,
                "kind": "customer",
                "customer_id": contact.customer_id,
                "staff_account_id": None,
                "member_index": ctx.cipher.blind_index("wecom/member", who),
                "joined_at": contact.joined_at,
                "left_at": contact.left_at,
                "join_scene": 3,
            }
        )
    for owner, group in groups.items():
        members.append(
            {
                "workspace_id": ctx.workspace_id,
                "group_chat_id": group.id,
                "kind": "staff",
                "customer_id": None,
                "staff_account_id": ids[owner],
                "member_index": ctx.cipher.blind_index("wecom/member", owner),
                "joined_at": start,
                "left_at": None,
                "join_scene": 0,
            }
        )
    if moves:
        ctx.session.connection().execute(
            update(Contact)
            .where(Contact.id == bindparam("cid"))
            .values(carrier_ref=bindparam("ref")),
            moves,
        )
    bulk.insert_rows(ctx.session, GroupMember, members)
    activity = _activity(ctx, groups, members)
    bulk.insert_rows(ctx.session, GroupActivity, activity)
    return {
        "groups": len(groups),
        "group_members": len(members),
        "group_activity_days": len(activity),
    }


def _external_ids(ctx: _Context) -> dict[int, str]:
    people = ctx.brand.customers.external_userid
    return {int(db): str(people[i]) for i, db in enumerate(ctx.customer_ids.tolist()) if db}


def _activity(
    ctx: _Context, groups: dict[str, GroupChat], members: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    end = ctx.brand.end + timedelta(days=1)
    size = {g.id: 0 for g in groups.values()}
    cutoff = _end(ctx.brand)
    for m in members:
        if m["kind"] == "customer" and (m["left_at"] is None or m["left_at"] > cutoff):
            size[m["group_chat_id"]] += 1
    rows = []
    for owner, group in groups.items():
        health = GROUPS[owner][1]
        n = max(size[group.id], 5)
        for k in range(ACTIVITY_DAYS):
            day = end - timedelta(days=ACTIVITY_DAYS - k)
            late = k >= ACTIVITY_DAYS // 2
            if health == "dead":
                owner_msgs, staff_msgs, member_rate, active_rate = 9, 3, 0.002, 0.001
            elif health == "declining" and late:
                owner_msgs, staff_msgs, member_rate, active_rate = 6, 2, 0.06, 0.03
            else:
                owner_msgs, staff_msgs, member_rate, active_rate = 5, 2, 0.3, 0.1
            member_msgs = int(ctx.rng.poisson(member_rate * n))
            active = min(member_msgs, int(ctx.rng.poisson(active_rate * n)))
            rows.append(
                {
                    "workspace_id": ctx.workspace_id,
                    "group_chat_id": group.id,
                    "day": day,
                    "owner_messages": int(ctx.rng.poisson(owner_msgs)),
                    "staff_messages": int(ctx.rng.poisson(staff_msgs)),
                    "member_messages": member_msgs,
                    "active_members": active,
                }
            )
    return rows


def _referrals(ctx: _Context) -> dict[str, int]:
    """A referral campaign: codes for the pool, referrers for the brand's referral joiners."""
    start = datetime.combine(ctx.brand.start, datetime.min.time(), CHINA_TZ)
    referral.create_campaign(
        ctx.session,
        ctx.workspace_id,
        CampaignCreate(
            code=REFERRAL_CAMPAIGN,
            name="老带新·邀好友加茶顾问，双方有礼",
            starts_at=start,
            rules=CampaignRules(
                rewards=[
                    RewardRule(trigger="join", beneficiary="referrer", kind="points", amount=100),
                    RewardRule(
                        trigger="first_order",
                        beneficiary="referrer",
                        kind="stored_value",
                        amount=1_000,
                        min_order_fen=5_000,
                    ),
                    RewardRule(
                        trigger="first_order", beneficiary="referee", kind="coupon", amount=500
                    ),
                ],
                max_referrals_per_day=5,
                max_rewarded_referrals=30,
            ),
        ),
    )
    channel_id = next(cid for cid, code in _channel_codes(ctx).items() if code == "referral")
    first_join: dict[int, datetime] = {}
    referees: list[tuple[datetime, int]] = []
    for customer_id, joined, via in ctx.session.execute(
        select(Contact.customer_id, Contact.joined_at, Contact.channel_id)
        .where(Contact.workspace_id == ctx.workspace_id, Contact.carrier == "wecom")
        .order_by(Contact.joined_at, Contact.id)
    ):
        first_join.setdefault(customer_id, joined)
        if via == channel_id:
            referees.append((joined, customer_id))
    pool = sorted(first_join.items(), key=lambda kv: kv[1])
    times = np.array([j.timestamp() for _, j in pool])
    holders = [c for c, _ in pool]
    codes = referral.issue_codes(ctx.session, ctx.workspace_id, REFERRAL_CAMPAIGN, holders)
    made = 0
    last_device: dict[int, str] = {}
    for joined, referee in referees:
        eligible = int(np.searchsorted(times, joined.timestamp(), side="left"))
        if eligible == 0:
            continue
        referrer = holders[int(ctx.rng.integers(0, eligible))]
        if referrer == referee:
            continue
        device = f"demo-device-{referee}"
        if referrer in last_device and ctx.rng.random() < 0.04:
            device = last_device[referrer]  # two "different" people on one phone: held
        last_device[referrer] = device
        referral.record_join(
            ctx.session,
            ctx.workspace_id,
            ctx.cipher,
            code=codes[referrer],
            referee_id=referee,
            at=joined,
            device_id=device,
        )
        made += 1
    orders = referral.attribute_first_orders(ctx.session, ctx.workspace_id, ctx.cipher)
    return {"referral_codes": len(codes), "referrals": made, "referral_first_orders": orders}
