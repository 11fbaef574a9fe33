"""Closed vocabularies stored as short strings (portable across SQLite and PostgreSQL)."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    """Where a shop sells."""

    TMALL = "tmall"
    TAOBAO = "taobao"
    JD = "jd"
    DOUYIN = "douyin"
    PDD = "pdd"
    SHOPIFY = "shopify"
    OFFLINE = "offline"
    MINI_PROGRAM = "mini_program"
    APP = "app"
    WECOM = "wecom"
    OTHER = "other"


class Domain(StrEnum):
    """Public domain (every touch is bought) or private domain (the brand's own line)."""

    PUBLIC = "public"
    PRIVATE = "private"


PRIVATE_PLATFORMS = frozenset({Platform.MINI_PROGRAM, Platform.APP, Platform.WECOM})


def domain_of(platform: Platform) -> Domain:
    """Return the domain a platform belongs to."""
    return Domain.PRIVATE if platform in PRIVATE_PLATFORMS else Domain.PUBLIC


class IdentityKind(StrEnum):
    """Kinds of identifier that can name one person."""

    PHONE = "phone"
    UNIONID = "unionid"
    EXTERNAL_USERID = "external_userid"
    PLATFORM_BUYER = "platform_buyer"
    EMAIL = "email"


class ProductRole(StrEnum):
    """The part a product plays in bringing customers in or back."""

    TRAFFIC = "traffic"
    TRIAL = "trial"
    PROFIT = "profit"
    BRAND = "brand"
    EXPANSION = "expansion"
    MARKETING = "marketing"


class OrderStatus(StrEnum):
    """Normalised order status (refunds are tracked separately)."""

    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CLOSED = "closed"


class ChannelKind(StrEnum):
    """Kinds of diversion touchpoint."""

    PACKAGE_CARD = "package_card"
    SMS = "sms"
    CUSTOMER_SERVICE = "customer_service"
    STORE = "store"
    LIVE_STREAM = "live_stream"
    KOL = "kol"
    ADS = "ads"
    REFERRAL = "referral"
    OTHER = "other"


class Carrier(StrEnum):
    """A private carrier a customer can be present in."""

    WECOM = "wecom"
    GROUP = "group"
    OFFICIAL_ACCOUNT = "official_account"
    MINI_PROGRAM = "mini_program"


class LeftReason(StrEnum):
    """Why a contact ended."""

    DELETED_BY_CUSTOMER = "deleted_by_customer"
    REMOVED_BY_STAFF = "removed_by_staff"
    BLOCKED = "blocked"
    LEFT_GROUP = "left_group"


class StaffKind(StrEnum):
    """A WeCom account or a customer-service seat."""

    WECOM = "wecom"
    CS_SEAT = "cs_seat"


class ConsentChannel(StrEnum):
    """Channels a consent or opt-out applies to."""

    WECOM = "wecom"
    SMS = "sms"
    EMAIL = "email"
    PHONE = "phone"
    APP_PUSH = "app_push"
    MINI_PROGRAM = "mini_program"


class ConsentPurpose(StrEnum):
    """What the contact is for."""

    MARKETING = "marketing"
    SERVICE = "service"
