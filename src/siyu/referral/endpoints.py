"""API routes of referral (老带新): campaigns with their K-factor, and the review of rewards
the fraud rules held."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter

from siyu.accounts.rules import Permission, Principal
from siyu.models import ReferralCampaign, ReferralReward
from siyu.referral import service
from siyu.referral.schemas import CampaignFigures, RewardDecision, RewardRead
from siyu.web.deps import Db, RowId, require
from siyu.web.errors import CONFLICT_RESPONSE
from siyu.web.pagination import Page, Paging

router = APIRouter(tags=["referral"])
Reader = Annotated[Principal, require(Permission.ENGAGE_READ)]
Writer = Annotated[Principal, require(Permission.ENGAGE_WRITE)]
RewardStatus = Literal["held", "pending", "granted", "rejected"]


def campaign_figures(db: Db, workspace_id: int, campaign: ReferralCampaign) -> CampaignFigures:
    """A campaign with its K-factor."""
    k = service.campaign_k_factor(db, workspace_id, campaign.code)
    return CampaignFigures(
        code=campaign.code, name=campaign.name, status=campaign.status,
        starts_at=campaign.starts_at, ends_at=campaign.ends_at, holders=k.holders,
        referrers=k.referrers, joiners=k.joiners, converted=k.converted, flagged=k.flagged,
        generations=k.generations, k_join=round(k.k_join, 4), k_order=round(k.k_order, 4),
        invites_per_referrer=round(k.invites_per_referrer, 4),
    )  # fmt: skip


def reward_read(reward: ReferralReward) -> RewardRead:
    """A reward as the API shows it."""
    return RewardRead.model_validate(reward, from_attributes=True)


@router.get("/referral/campaigns", response_model=list[CampaignFigures])
def list_campaigns(db: Db, principal: Reader) -> list[CampaignFigures]:
    """Referral campaigns, newest first, with their K-factor."""
    return [
        campaign_figures(db, principal.workspace_id, c)
        for c in service.list_campaigns(db, principal.workspace_id)
    ]


@router.get("/referral/campaigns/{code}", response_model=CampaignFigures)
def get_campaign(code: str, db: Db, principal: Reader) -> CampaignFigures:
    """One campaign's K-factor: referred joiners and first orders per code holder."""
    campaign = service.require_campaign(db, principal.workspace_id, code)
    return campaign_figures(db, principal.workspace_id, campaign)


@router.get("/referral/rewards", response_model=Page[RewardRead])
def list_rewards(
    db: Db, paging: Paging, principal: Reader, status: RewardStatus = "held"
) -> Page[RewardRead]:
    """Rewards by status; `held` (the default) is the review list, oldest first."""
    found = service.rewards_with_status(db, principal.workspace_id, status)
    items = found[paging.offset : paging.offset + paging.per_page]
    return paging.wrap([reward_read(r) for r in items], len(found))


@router.post(
    "/referral/rewards/{reward_id}/decision", response_model=RewardRead, responses=CONFLICT_RESPONSE
)
def decide(reward_id: RowId, body: RewardDecision, db: Db, principal: Writer) -> RewardRead:
    """Approve a held reward (it is granted with the next grant run) or reject it."""
    reward = service.decide(
        db, principal.workspace_id, reward_id, approve=body.approve,
        reviewer=principal.username or principal.label,
    )  # fmt: skip
    return reward_read(reward)
