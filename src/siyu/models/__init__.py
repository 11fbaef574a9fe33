"""ORM classes, one file per aggregate; importing this package registers them all."""

from siyu.models.account import ApiKey, UserAccount, WebhookDelivery, WebSession
from siyu.models.audit import AuditEntry, AuditHead
from siyu.models.campaign import Campaign, CampaignMember, CampaignVariant
from siyu.models.channel import Channel, ChannelCost
from siyu.models.channel_code import (
    ChannelCode,
    ChannelCodeStaff,
    ChannelJoin,
    ChannelVisit,
    StaffShift,
)
from siyu.models.consent import ConsentRecord
from siyu.models.contact import Contact
from siyu.models.contact_policy import ContactState, ContactSuppression, ContactTouch, EngageSetting
from siyu.models.content import ContentTemplate, SopPlan
from siyu.models.customer import Customer, CustomerMerge, Identity
from siyu.models.group import GroupActivity, GroupChat, GroupMember
from siyu.models.imports import ImportBatch
from siyu.models.loyalty import (
    LoyaltyAccount,
    LoyaltyCard,
    LoyaltyCardPlan,
    LoyaltyEarnRule,
    LoyaltyEntry,
    LoyaltyMembership,
    LoyaltyPointsLot,
    LoyaltyPosting,
    LoyaltyProgram,
    LoyaltyTier,
    LoyaltyTierChange,
    LoyaltyTopupRule,
)
from siyu.models.order import Order, OrderLine, Refund
from siyu.models.outbox import DeliveryAttempt, OutboxMessage
from siyu.models.product import Product
from siyu.models.profile import CustomerProfile
from siyu.models.recommendation import CustomerRecommendation
from siyu.models.referral import Referral, ReferralCampaign, ReferralCode, ReferralReward
from siyu.models.segment import CustomerTag, Segment
from siyu.models.shop import Shop
from siyu.models.staff import StaffAccount
from siyu.models.task import StaffTask
from siyu.models.wecom import WeComCallback
from siyu.models.workspace import Workspace

__all__ = [
    "ApiKey",
    "AuditEntry",
    "AuditHead",
    "Campaign",
    "CampaignMember",
    "CampaignVariant",
    "Channel",
    "ChannelCode",
    "ChannelCodeStaff",
    "ChannelCost",
    "ChannelJoin",
    "ChannelVisit",
    "ConsentRecord",
    "Contact",
    "ContactState",
    "ContactSuppression",
    "ContactTouch",
    "ContentTemplate",
    "Customer",
    "CustomerMerge",
    "CustomerProfile",
    "CustomerRecommendation",
    "CustomerTag",
    "DeliveryAttempt",
    "EngageSetting",
    "GroupActivity",
    "GroupChat",
    "GroupMember",
    "Identity",
    "ImportBatch",
    "LoyaltyAccount",
    "LoyaltyCard",
    "LoyaltyCardPlan",
    "LoyaltyEarnRule",
    "LoyaltyEntry",
    "LoyaltyMembership",
    "LoyaltyPointsLot",
    "LoyaltyPosting",
    "LoyaltyProgram",
    "LoyaltyTier",
    "LoyaltyTierChange",
    "LoyaltyTopupRule",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "Product",
    "Referral",
    "ReferralCampaign",
    "ReferralCode",
    "ReferralReward",
    "Refund",
    "Segment",
    "Shop",
    "SopPlan",
    "StaffAccount",
    "StaffShift",
    "StaffTask",
    "UserAccount",
    "WeComCallback",
    "WebSession",
    "WebhookDelivery",
    "Workspace",
]
