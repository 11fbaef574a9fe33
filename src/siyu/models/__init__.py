"""ORM classes, one file per aggregate; importing this package registers them all."""

from siyu.models.account import ApiKey, UserAccount, WebhookDelivery, WebSession
from siyu.models.channel import Channel, ChannelCost
from siyu.models.consent import ConsentRecord
from siyu.models.contact import Contact
from siyu.models.customer import Customer, CustomerMerge, Identity
from siyu.models.imports import ImportBatch
from siyu.models.order import Order, OrderLine, Refund
from siyu.models.product import Product
from siyu.models.profile import CustomerProfile
from siyu.models.shop import Shop
from siyu.models.staff import StaffAccount
from siyu.models.workspace import Workspace

__all__ = [
    "ApiKey",
    "Channel",
    "ChannelCost",
    "ConsentRecord",
    "Contact",
    "Customer",
    "CustomerMerge",
    "CustomerProfile",
    "Identity",
    "ImportBatch",
    "Order",
    "OrderLine",
    "Product",
    "Refund",
    "Shop",
    "StaffAccount",
    "UserAccount",
    "WebSession",
    "WebhookDelivery",
    "Workspace",
]
