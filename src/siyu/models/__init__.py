"""ORM classes, one file per aggregate; importing this package registers them all."""

from siyu.models.campaign import Campaign, CampaignMember, CampaignVariant
from siyu.models.channel import Channel, ChannelCost
from siyu.models.consent import ConsentRecord
from siyu.models.contact import Contact
from siyu.models.contact_policy import ContactState, ContactSuppression, ContactTouch, EngageSetting
from siyu.models.content import ContentTemplate, SopPlan
from siyu.models.customer import Customer, CustomerMerge, Identity
from siyu.models.imports import ImportBatch
from siyu.models.order import Order, OrderLine, Refund
from siyu.models.outbox import DeliveryAttempt, OutboxMessage
from siyu.models.product import Product
from siyu.models.profile import CustomerProfile
from siyu.models.segment import CustomerTag, Segment
from siyu.models.shop import Shop
from siyu.models.staff import StaffAccount
from siyu.models.task import StaffTask
from siyu.models.workspace import Workspace

__all__ = [
    "Campaign",
    "CampaignMember",
    "CampaignVariant",
    "Channel",
    "ChannelCost",
    "ConsentRecord",
    "Contact",
    "ContactState",
    "ContactSuppression",
    "ContactTouch",
    "ContentTemplate",
    "Customer",
    "CustomerMerge",
    "CustomerProfile",
    "CustomerTag",
    "DeliveryAttempt",
    "EngageSetting",
    "Identity",
    "ImportBatch",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "Product",
    "Refund",
    "Segment",
    "Shop",
    "SopPlan",
    "StaffAccount",
    "StaffTask",
    "Workspace",
]
