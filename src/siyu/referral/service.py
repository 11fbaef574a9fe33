"""Use cases of referral campaigns (never commits)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from siyu.channels.service import day_start
from siyu.customers.rules import normalise_phone
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ConflictError, NotFoundError, ValidationError
from siyu.loyalty.rewards import sink_for as loyalty_sink
from siyu.models import Referral, ReferralCampaign, ReferralCode, ReferralReward, StaffAccount
from siyu.pool.service import Directory
from siyu.referral import repository
from siyu.referral.rewards import RewardSink
from siyu.referral.rules import (
    CODE_PREFIX,
    Edge,
    KFactor,
    ReferrerSignals,
    Signals,
    TreeNode,
    earned,
    fraud_reasons,
    k_factor,
    tree,
)
from siyu.referral.schemas import CampaignCreate, CampaignRules

_ADDRESS_NOISE = re.compile(r"[\s,，.。#\-—()（）]")


def create_campaign(session: Session, workspace_id: int, spec: CampaignCreate) -> ReferralCampaign:
    """Create a referral campaign with its reward rules."""
    if repository.get_campaign(session, workspace_id, spec.code) is not None:
        raise ConflictError("referral.campaign_exists", code=spec.code)
    channel_id = Directory(session, workspace_id).channel(spec.channel, kind="referral")
    campaign = ReferralCampaign(
        workspace_id=workspace_id,
        code=spec.code,
        name=spec.name,
        channel_id=channel_id,
        rules_json=spec.rules.model_dump_json(),
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
    )
    return repository.add(session, campaign)  # type: ignore[no-any-return]


def require_campaign(session: Session, workspace_id: int, code: str) -> ReferralCampaign:
    """The campaign or a clear not-found error."""
    found = repository.get_campaign(session, workspace_id, code)
    if found is None:
        raise NotFoundError("referral.campaign_not_found", ident=code)
    return found


def rules_of(campaign: ReferralCampaign) -> CampaignRules:
    """A campaign's validated rules."""
    return CampaignRules.model_validate(json.loads(campaign.rules_json))


def issue_codes(
    session: Session, workspace_id: int, campaign_code: str, customer_ids: Sequence[int]
) -> dict[int, str]:
    """Give each customer a code in the campaign (kept when they have one); return all."""
    campaign = require_campaign(session, workspace_id, campaign_code)
    codes = repository.codes_of(session, campaign.id, customer_ids)
    new = []
    for customer_id in dict.fromkeys(customer_ids):
        if customer_id not in codes:
            code = CODE_PREFIX + secrets.token_hex(5)  # 14 characters: fits WeCom's 30
            new.append(
                ReferralCode(
                    workspace_id=workspace_id,
                    campaign_id=campaign.id,
                    customer_id=customer_id,
                    code=code,
                )
            )
            codes[customer_id] = code
    repository.add_all(session, new)
    return codes


def issue_codes_to_pool(session: Session, workspace_id: int, campaign_code: str) -> dict[int, str]:
    """Give every customer in the pool a code in the campaign."""
    return issue_codes(
        session, workspace_id, campaign_code, repository.in_pool_customers(session, workspace_id)
    )


@dataclass(frozen=True, slots=True)
class CodeLookup:
    """A referral code with its campaign and whether the campaign is running."""

    code: ReferralCode
    campaign: ReferralCampaign
    running: bool


def lookup(session: Session, workspace_id: int, code: str, at: datetime) -> CodeLookup | None:
    """The referral code named by a WeCom state (None when it is not one)."""
    if not code.startswith(CODE_PREFIX):
        return None
    found = repository.get_code(session, workspace_id, code)
    if found is None:
        return None
    campaign = repository.get_campaign_by_id(session, found.campaign_id)
    assert campaign is not None
    running = campaign.status == "active" and not (
        (campaign.starts_at and at < campaign.starts_at)
        or (campaign.ends_at and at > campaign.ends_at)
    )
    return CodeLookup(found, campaign, bool(running))


def referral_staff(session: Session, workspace_id: int, code: str) -> StaffAccount:
    """Who a referred visitor should add: the referrer's own advisor, else the least busy."""
    found = repository.get_code(session, workspace_id, code)
    if found is None:
        raise NotFoundError("referral.code_not_found", ident=code)
    staff_id = repository.referrer_staff(session, workspace_id, found.customer_id)
    staff = session.get(StaffAccount, staff_id) if staff_id is not None else None
    if staff is None or not staff.active:
        staff_id = repository.least_loaded_staff(session, workspace_id)
        staff = session.get(StaffAccount, staff_id) if staff_id is not None else None
    if staff is None:
        raise ValidationError("referral.no_staff")
    return staff


def record_join(
    session: Session,
    workspace_id: int,
    cipher: PiiCipher,
    *,
    code: str,
    referee_id: int,
    at: datetime,
    device_id: str = "",
) -> Referral | None:
    """Record a referred customer joining through a code; earn join rewards (or hold them).

    None when the code is unknown. A campaign that has ended still records who came (its
    status "expired") but earns nothing. A referee already referred in the campaign keeps
    their first referral.
    """
    found = lookup(session, workspace_id, code, at)
    if found is None:
        return None
    existing = repository.referral_of(session, found.campaign.id, referee_id)
    if existing is not None:
        return existing
    referral = repository.add(
        session,
        Referral(
            workspace_id=workspace_id,
            campaign_id=found.campaign.id,
            code_id=found.code.id,
            referrer_customer_id=found.code.customer_id,
            referee_customer_id=referee_id,
            joined_at=at,
            status="joined" if found.running else "expired",
            device_index=cipher.blind_index("device", device_id) if device_id else "",
        ),
    )
    if found.running:
        _evaluate(session, workspace_id, cipher, found.campaign, referral, "join")
    return referral  # type: ignore[no-any-return]


def _normal_address(text: str) -> str:
    return _ADDRESS_NOISE.sub("", text).lower()


def _receiver(cipher: PiiCipher, blob: bytes) -> tuple[str, str]:
    """(phone hash, address hash) of an order's encrypted receiver."""
    _name, phone, address = [*json.loads(cipher.decrypt(blob)), "", "", ""][:3]
    normal = normalise_phone(phone or "")
    phone_index = cipher.blind_index("phone/", normal) if normal else ""
    clean = _normal_address(address or "")
    return phone_index, cipher.blind_index("address", clean) if clean else ""


def _referrer_signals(session: Session, cipher: PiiCipher, customer_id: int) -> ReferrerSignals:
    phones = repository.phone_indexes(session, customer_id)
    addresses = set()
    for blob in repository.receivers_of(session, customer_id):
        phone, address = _receiver(cipher, blob)
        phones |= {phone} - {""}
        addresses |= {address} - {""}
    return ReferrerSignals(customer_id, frozenset(phones), frozenset(addresses))


def _signals(r: Referral) -> Signals:
    return Signals(r.id, r.referee_customer_id, r.phone_index, r.address_index, r.device_index)


def _evaluate(
    session: Session,
    workspace_id: int,
    cipher: PiiCipher,
    campaign: ReferralCampaign,
    referral: Referral,
    trigger: str,
) -> list[ReferralReward]:
    """Run the fraud rules and create the rewards `trigger` earns, held when flagged."""
    rules = rules_of(campaign)
    referrer = referral.referrer_customer_id
    siblings = [
        _signals(r) for r in repository.referrals(session, campaign.id, referrer_id=referrer)
    ]
    others = [
        _signals(r)
        for r in repository.sharing_signals(
            session,
            campaign.id,
            phone=referral.phone_index,
            address=referral.address_index,
            device=referral.device_index,
            excluding_referrer=referrer,
        )
    ]
    reasons = fraud_reasons(
        _signals(referral),
        _referrer_signals(session, cipher, referrer),
        siblings,
        campaign_others=others,
        referrals_today=repository.referrals_since(
            session, campaign.id, referrer, day_start(referral.joined_at)
        ),
        rewarded_before=repository.rewarded_referrals(
            session, campaign.id, referrer, excluding=referral.id
        ),
        already_in_pool=repository.contacts_before(
            session, workspace_id, referral.referee_customer_id, referral.joined_at
        )
        > 0,
        rules=rules,
    )
    if reasons:
        referral.status = "flagged"
        referral.fraud_reasons = ",".join(sorted(set(reasons) | _split(referral.fraud_reasons)))[
            :200
        ]
        for reward in repository.rewards_of(session, referral.id):
            if reward.status == "pending":  # hold what the join earned too
                reward.status, reward.hold_reason = "held", referral.fraud_reasons
    order_fen = referral.first_order_fen or 0
    created = []
    for rule in earned(rules, trigger, order_fen=order_fen):
        key = f"referral:{referral.id}:{trigger}:{rule.beneficiary}:{rule.kind}"
        if repository.reward_exists(session, workspace_id, key):
            continue
        beneficiary = referrer if rule.beneficiary == "referrer" else referral.referee_customer_id
        flagged = referral.status == "flagged"
        created.append(
            repository.add(
                session,
                ReferralReward(
                    workspace_id=workspace_id,
                    referral_id=referral.id,
                    customer_id=beneficiary,
                    trigger=trigger,
                    beneficiary=rule.beneficiary,
                    kind=rule.kind,
                    amount=rule.amount,
                    status="held" if flagged else "pending",
                    hold_reason=referral.fraud_reasons if flagged else "",
                    idempotency_key=key,
                ),
            )
        )
    return created


def _split(text: str) -> set[str]:
    return {p for p in text.split(",") if p}


def attribute_first_orders(session: Session, workspace_id: int, cipher: PiiCipher) -> int:
    """Find referred customers' first orders since joining; earn (or hold) order rewards."""
    found = 0
    for referral in repository.awaiting_first_order(session, workspace_id):
        order = repository.first_order_after(
            session, referral.referee_customer_id, referral.joined_at
        )
        if order is None:
            continue
        referral.first_order_id, referral.first_order_at = order.id, order.ordered_at
        referral.first_order_fen = order.paid_fen
        if order.receiver_enc is not None:
            referral.phone_index, referral.address_index = _receiver(cipher, order.receiver_enc)
        if referral.status == "joined":
            referral.status = "converted"
        campaign = repository.get_campaign_by_id(session, referral.campaign_id)
        assert campaign is not None
        _evaluate(session, workspace_id, cipher, campaign, referral, "first_order")
        found += 1
    return found


# ---- review and grant ---------------------------------------------------------------------------


def review_list(session: Session, workspace_id: int) -> list[ReferralReward]:
    """Rewards held for review, oldest first."""
    return repository.rewards_with_status(session, workspace_id, "held")


def rewards_with_status(session: Session, workspace_id: int, status: str) -> list[ReferralReward]:
    """Rewards of one status, oldest first."""
    return repository.rewards_with_status(session, workspace_id, status)


def decide(
    session: Session, workspace_id: int, reward_id: int, *, approve: bool, reviewer: str
) -> ReferralReward:
    """Release a held reward (to pending, then granted) or reject it."""
    reward = repository.get_reward(session, workspace_id, reward_id)
    if reward is None:
        raise NotFoundError("referral.reward_not_found", ident=reward_id)
    if reward.status != "held":
        raise ConflictError("referral.not_held", ident=reward_id, status=reward.status)
    reward.status = "pending" if approve else "rejected"
    reward.decided_at, reward.decided_by = utcnow(), reviewer[:64]
    return reward


def grant_pending(session: Session, workspace_id: int, sink: RewardSink | None = None) -> int:
    """Grant every pending reward the sink accepts; return how many.

    The default sink is the loyalty ledger when the workspace has a programme; without one
    nothing is granted and the rewards stay pending.
    """
    if sink is None:
        sink = loyalty_sink(session, workspace_id)
        if sink is None:
            return 0
    granted = 0
    for reward in repository.rewards_with_status(session, workspace_id, "pending"):
        if not sink.accepts(reward.kind):
            continue
        reward.ledger_ref = sink.grant(
            session,
            workspace_id=workspace_id,
            customer_id=reward.customer_id,
            kind=reward.kind,
            amount=reward.amount,
            idempotency_key=reward.idempotency_key,
            memo=f"referral {reward.referral_id} {reward.trigger}",
        )[:80]
        reward.status, reward.decided_at = "granted", reward.decided_at or utcnow()
        granted += 1
    return granted


# ---- figures -------------------------------------------------------------------------------------


def _edges(session: Session, campaign_id: int) -> list[Edge]:
    return [
        Edge(
            r.referrer_customer_id,
            r.referee_customer_id,
            r.first_order_id is not None,
            r.status == "flagged",
        )
        for r in repository.referrals(session, campaign_id)
        if r.status != "expired"
    ]


def campaign_k_factor(session: Session, workspace_id: int, code: str) -> KFactor:
    """The campaign's K-factor (referred customers per code holder)."""
    campaign = require_campaign(session, workspace_id, code)
    return k_factor(repository.holders(session, campaign.id), _edges(session, campaign.id))


def campaign_tree(session: Session, workspace_id: int, code: str) -> list[TreeNode]:
    """The campaign's referral forest."""
    campaign = require_campaign(session, workspace_id, code)
    return tree(_edges(session, campaign.id))


def list_campaigns(session: Session, workspace_id: int) -> list[ReferralCampaign]:
    """Campaigns, newest first."""
    return repository.list_campaigns(session, workspace_id)
