"""A seeded simulator of a realistic brand, with the ground truth that produced its data.

Everything is NumPy struct-of-arrays: no database, no I/O, no Python object per customer or
order. The only Python loop that grows with the data is over *purchase rounds* (the k-th
purchase of every customer who is still buying), so a hundred thousand orders take a fraction
of a second and ten million about half a minute on two cores. String columns are NumPy
``StringDType`` arrays; every seed is split into independent streams per component.

The purchase process (per customer)
-----------------------------------
Customers follow the BG/NBD "buy till you die" story (Fader, Hardie & Lee 2005, "Counting
Your Customers the Easy Way: An Alternative to the Pareto/NBD Model", Marketing Science
24(2)):

* purchase rate ``lam_i ~ Gamma(shape=r, scale=1/alpha)`` per day;
* dropout probability ``p_i ~ Beta(a, b)``;
* while alive, purchases arrive as a Poisson process with rate ``lam_i``;
* the customer drops out (becomes inactive for ever) *right after* a purchase, with
  probability ``p_i``.

Which purchases can end a customer is the one convention to choose. With
``PopulationParams.dropout_at_first=True`` (the default) the first purchase counts too, as in
the MBG/NBD of Batislam, Denizel & Filiztekin (2007, IJRM 24(3)): a share of customers buy
once and are gone, as a consumer brand's trial buyers are. With ``False`` only repeat
purchases can end a customer, which is the original BG/NBD. For a cohort acquired at time 0
the expected number of *repeat* purchases in ``(0, t]`` is then, with ``z = t / (alpha + t)``:

* BG/NBD:  ``(a+b-1)/(a-1) * [1 - (alpha/(alpha+t))**r * 2F1(r, b; a+b-1; z)]``
* MBG/NBD: ``b/(a-1) * [1 - (alpha/(alpha+t))**r * 2F1(r, b+1; a+b; z)]``

(the second follows from the first: given ``lam, p`` the MBG/NBD mean is ``(1-p)`` times the
BG/NBD mean ``(1 - exp(-lam*p*t))/p``, and Euler's integral absorbs the extra ``1-p``).
The tests check both against :func:`simulate_purchases`. Once a customer is alive after a
purchase, both conventions continue identically, so the per-customer ground truth is the
same (see ``CustomerTable.expected_purchases_next_365d``).

Customers are acquired (first purchase) over the window with a density rising linearly
over time (later years larger) plus bursts around 6.18 and Double 11.

Spend
-----
Gamma-Gamma (Colombo & Jiang 1999, "A stochastic RFM model", J. Interactive Marketing 13(3);
Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis",
JMR 42(4)): ``nu_i ~ Gamma(shape=q, rate=gamma)`` and each order's intended value
``z ~ Gamma(shape=p_s, rate=nu_i)``, so the customer's mean spend is ``p_s / nu_i`` fen
(``CustomerTable.spend_mean_fen``). The intended value is turned into real lines: products
whose price is near the per-line value (first orders lean to traffic/trial products, later
ones to profit/expansion ones) at integer quantities, less an occasional integer line
discount. The realised amount therefore follows the Gamma-Gamma draw only approximately.
Money is always integer fen (int64).

Preferences
-----------
Every buyer has a favourite tea series (``SERIES``: 龙井, 红茶, 白茶, 乌龙, 花茶, 口粮茶; drawn
uniformly, ``CustomerTable.favourite_series``): within a role, the series' products weigh
``SERIES_AFFINITY`` times the others and their price kernel is ``FAN_PRICE_STRETCH`` times
wider, so a buyer of the 龙井 trial tin tends to come back for the 龙井 gift box, and customers
who share a series buy alike.
Teaware is durable (``DemoProduct.durable``): a line that would sell an owner the same pot
again is drawn again. This is what a next-best-product recommender can learn; the price level
a customer's spend implies is the other per-customer signal.

Channels, the pool and who leaves it
------------------------------------
A share of buyers (rising over the window) join the private pool through a diversion channel
some time after their first purchase; potential customers join without ever buying. A
channel's quality is ground truth: its joiners' ``lam`` is multiplied by
``DemoChannel.lambda_multiplier`` and their ``p`` by ``DemoChannel.dropout_multiplier`` (a
selection effect: the channel attracts that kind of customer, so the rates hold for the
customer's whole life). A buyer whose join would fall after the end never joins and keeps
the population rates. Red-envelope joiners buy less, drop out sooner, and most delete the
contact within a week. Pool members buy part of their later orders in the private shops
while their first contact lasts.

Orders, statuses and refunds
----------------------------
Every purchase of the process is one order. Besides them, about ``closed_share`` of the
orders are *closed*: an abandoned checkout placed shortly before a real repeat purchase.
Closed orders are not purchases of the process (``CustomerTable.n_purchases`` excludes them,
``n_orders`` includes them); they keep their lines but have ``paid_fen == 0`` and no
``paid_at``. Orders too recent to be paid are ``pending_payment`` (also ``paid_fen == 0``),
recent ones ``paid`` or ``shipped``, the rest ``completed``; pending orders are purchases of
the process. For every other status ``paid_fen == goods_fen - discount_fen + shipping_fen``
where ``goods_fen`` is the sum of the order's line amounts (each ``unit_price_fen * quantity``
less its line discount) and ``discount_fen`` the order-level coupon. About ``refund_share``
of the orders have a refund after payment: a whole-order one (``line == -1``, the paid
amount) or one on a line (all or part of it).

Identifiers
-----------
Every customer has a unique fake mobile number in the 198/199 ranges; buyers have a buyer id
per public platform they bought on (``tb_``/``jd_``/``dy_``/``pdd_`` + digits, on the order);
pool members a WeChat unionid (``oU`` + 26 url-safe characters); WeCom contacts an
external_userid (``wm`` + 30); some customers an e-mail. ``masked_phone_share`` of the orders
export a masked phone (see :func:`exported_phones`) and ``duplicate_buyer_id_share`` of the
buyers switch to a second buyer id on one platform, with the same phone.

Time
----
All instants are UTC ``datetime64[s]``. Business days are China days (UTC+8): the window runs
from ``start`` 00:00 to the end of ``end`` (24:00) China time, order numbers carry the China
date, and channel costs are booked per China day.

Ordering
--------
Customers: buyers first, sorted by ``acquired_at``; then potential customers, sorted by
``joined_pool_at``. Orders: sorted by ``(customer, ordered_at)``; each customer's orders are
contiguous, the first one is at ``acquired_at``. Lines follow their orders
(``first_line``/``n_lines``), refunds are sorted by order, contacts and consents by
``(customer, time)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple, TypeAlias, cast

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.float64]
IntArray: TypeAlias = NDArray[np.int64]
BoolArray: TypeAlias = NDArray[np.bool_]
TimeArray: TypeAlias = NDArray[np.datetime64]
ByteMatrix: TypeAlias = NDArray[np.uint8]
StrArray: TypeAlias = np.ndarray[tuple[Any, ...], np.dtypes.StringDType]

STRING = np.dtypes.StringDType()
DAY_S = 86_400
CHINA_OFFSET_S = 8 * 3_600
NAT = np.datetime64("NaT", "s")
EPOCH = date(1970, 1, 1)

__all__ = [
    "ChannelCostTable",
    "ConsentTable",
    "ContactTable",
    "CustomerTable",
    "DemoBrand",
    "DemoChannel",
    "DemoProduct",
    "DemoSettings",
    "DemoShop",
    "DemoStaff",
    "LineTable",
    "OrderTable",
    "PopulationParams",
    "PurchaseHistory",
    "RefundTable",
    "bgnbd_expected_repeat_purchases",
    "expected_purchases_when_alive",
    "exported_phones",
    "hyp2f1",
    "simulate_brand",
    "simulate_purchases",
]


# --------------------------------------------------------------------------------------------
# Parameters and the brand's fixed setup
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationParams:
    """Population parameters of the purchase (BG/NBD) and spend (Gamma-Gamma) processes."""

    r: float = 0.55
    alpha: float = 130.0  # days; mean purchase rate r/alpha ≈ one purchase per 236 days
    a: float = 1.2
    b: float = 2.0  # mean dropout probability a/(a+b) ≈ 0.375
    q: float = 3.8
    p_s: float = 6.0
    gamma: float = 7_000.0  # fen; population mean spend p_s*gamma/(q-1) ≈ 150 yuan
    dropout_at_first: bool = True  # MBG/NBD convention: the first purchase can end a customer


@dataclass(frozen=True)
class DemoSettings:
    """Shares that shape the brand's data around the population process."""

    masked_phone_share: float = 0.02
    duplicate_buyer_id_share: float = 0.005  # of buyers: two buyer ids on one platform
    refund_share: float = 0.045
    closed_share: float = 0.015
    pool_join_share: float = 0.3  # of buyers, on average over the window
    potential_share: float = 0.35  # potential customers per buyer who joined the pool
    sms_opt_out_share: float = 0.07
    email_share: float = 0.12
    acquisition_growth: float = 1.0  # acquisitions at the end run (1 + this) x the start's


@dataclass(frozen=True)
class DemoShop:
    """A shop the brand sells in."""

    code: str
    name: str
    platform: str
    domain: str


@dataclass(frozen=True)
class DemoProduct:
    """A product with its role in the brand's product layout."""

    sku: str
    name: str
    role: str
    price_fen: int
    unit_cost_fen: int
    series: str = ""  # tea series (系列) a customer may favour; "" for none
    durable: bool = False  # teaware: an owner does not buy the same product again


@dataclass(frozen=True)
class DemoChannel:
    """A diversion channel and its ground-truth quality."""

    code: str
    name: str
    kind: str
    cost_per_joiner_fen: int
    lambda_multiplier: float
    dropout_multiplier: float


@dataclass(frozen=True)
class DemoStaff:
    """A WeCom account or customer-service seat."""

    code: str
    name: str
    daily_capacity: int
    kind: str


BRAND_NAME = "拾光茶事"

SHOPS: tuple[DemoShop, ...] = (
    DemoShop("tmall_flagship", f"{BRAND_NAME}天猫旗舰店", "tmall", "public"),
    DemoShop("jd_store", f"{BRAND_NAME}京东旗舰店", "jd", "public"),
    DemoShop("douyin_store", f"{BRAND_NAME}抖音官方旗舰店", "douyin", "public"),
    DemoShop("pdd_store", f"{BRAND_NAME}拼多多官方旗舰店", "pdd", "public"),
    DemoShop("mini_program", f"{BRAND_NAME}会员商城（小程序）", "mini_program", "private"),
    DemoShop("wecom_sales", f"{BRAND_NAME}企微专属顾问", "wecom", "private"),
)
PUBLIC_SHOP_WEIGHTS = np.array([0.40, 0.22, 0.25, 0.13])
N_PUBLIC = 4
MINI_PROGRAM_SHOP = 4
WECOM_SHOP = 5
# (buyer-id prefix, digits) per public shop, as platform exports name their buyers
BUYER_ID_FORMATS: tuple[tuple[str, int], ...] = (
    ("tb_", 11),
    ("jd_", 10),
    ("dy_", 11),
    ("pdd_", 10),
)
# (fixed leading digits, random digits) before the China date and a unique 10-digit tail
ORDER_NO_FORMATS: tuple[tuple[str, int], ...] = (
    ("2", 2),  # 19 digits, Tmall-like
    ("", 0),  # 16 digits, JD-like
    ("6", 2),  # 19 digits, Douyin-like
    ("1", 1),  # 18 digits
    ("8", 1),  # 18 digits
    ("9", 0),  # 17 digits
)

PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct("SG-T01", "尝鲜三角茶包·3袋装", "traffic", 990, 760, "everyday"),
    DemoProduct("SG-T02", "冷泡茶试饮装·5袋", "traffic", 1_290, 960, "everyday"),
    DemoProduct("SG-T03", "茉莉花茶·便携装", "traffic", 1_990, 1_380, "jasmine"),
    DemoProduct("SG-T04", "新客专享·明前龙井 10g", "traffic", 990, 820, "longjing"),
    DemoProduct("SG-S01", "明前龙井·25g 小罐", "trial", 3_900, 2_100, "longjing"),
    DemoProduct("SG-S02", "正山小种·25g 小罐", "trial", 2_900, 1_550, "black"),
    DemoProduct("SG-S03", "白毫银针·体验装", "trial", 4_900, 2_700, "white"),
    DemoProduct("SG-S04", "凤凰单丛·品鉴套组", "trial", 5_900, 3_200, "oolong"),
    DemoProduct("SG-S05", "六大茶类·品鉴盒", "trial", 6_900, 3_900),
    DemoProduct("SG-P01", "明前龙井·250g 礼盒", "profit", 39_800, 11_200, "longjing"),
    DemoProduct("SG-P02", "武夷大红袍·200g", "profit", 29_800, 8_100, "oolong"),
    DemoProduct("SG-P03", "凤凰单丛·蜜兰香 150g", "profit", 18_800, 5_300, "oolong"),
    DemoProduct("SG-P04", "茉莉银毫·200g", "profit", 12_800, 3_400, "jasmine"),
    DemoProduct("SG-P05", "正山小种·250g", "profit", 15_800, 4_300, "black"),
    DemoProduct("SG-P06", "福鼎白茶·寿眉饼 300g", "profit", 21_800, 5_900, "white"),
    DemoProduct("SG-P07", "日常口粮茶·500g 量贩装", "profit", 8_900, 3_100, "everyday"),
    DemoProduct("SG-B01", "大师手作·龙井典藏", "brand", 128_800, 41_000, "longjing"),
    DemoProduct("SG-B02", "2016 年份白茶饼", "brand", 88_800, 25_800, "white"),
    DemoProduct("SG-B03", "品牌联名·二十四节气礼盒", "brand", 49_900, 17_500),
    DemoProduct("SG-E01", "宜兴紫砂壶·西施", "expansion", 36_800, 13_100, durable=True),
    DemoProduct("SG-E02", "玻璃公道杯", "expansion", 8_900, 2_700, durable=True),
    DemoProduct("SG-E03", "旅行茶具·便携套装", "expansion", 16_800, 6_200, durable=True),
    DemoProduct("SG-E04", "配茶点心·伴手礼", "expansion", 6_800, 2_900),
    DemoProduct("SG-E05", "冷泡茶杯", "expansion", 5_900, 1_900, durable=True),
    DemoProduct("SG-M01", "双 11 限定礼盒", "marketing", 19_900, 9_100),
    DemoProduct("SG-M02", "会员日·组合装", "marketing", 15_900, 7_400),
    DemoProduct("SG-M03", "节气限定·花草茶", "marketing", 9_900, 4_700),
    DemoProduct("SG-M04", "满赠·茶叶罐套组", "marketing", 12_900, 6_300),
)
ROLES: tuple[str, ...] = ("traffic", "trial", "profit", "brand", "expansion", "marketing")
SERIES: tuple[str, ...] = ("longjing", "black", "white", "oolong", "jasmine", "everyday")
# A buyer's favourite series weighs this much more than another product of the same role
# (within a role, so the role mix stays about as drawn), and a fan stretches the budget for
# it (a wider price kernel): a trial buyer's later main product is of the same series for
# 30 % of them instead of 10 %. Stronger settings move the role mix and spend further.
SERIES_AFFINITY = 8.0
FAN_PRICE_STRETCH = 1.3
DURABLE_REDRAWS = 3  # an owner's repeat draw of a durable product is drawn again up to this
# role weights for first orders and for later orders (the trial → main product pattern)
FIRST_ROLE_WEIGHTS = np.array([0.36, 0.40, 0.10, 0.01, 0.03, 0.10])
REPEAT_ROLE_WEIGHTS = np.array([0.02, 0.04, 0.48, 0.08, 0.22, 0.16])

STAFF: tuple[DemoStaff, ...] = (
    DemoStaff("wecom_xiaoya", "小雅·品牌茶顾问", 300, "wecom"),
    DemoStaff("wecom_amu", "阿木·茶艺师", 250, "wecom"),
    DemoStaff("wecom_lanlan", "兰兰·会员管家", 300, "wecom"),
    DemoStaff("wecom_chenge", "陈哥·老茶客", 200, "wecom"),
    DemoStaff("wecom_tingting", "婷婷·福利官", 400, "wecom"),
    DemoStaff("wecom_founder", "老周·创始人", 120, "wecom"),
    DemoStaff("cs_seat_01", "售前客服 01", 500, "cs_seat"),
    DemoStaff("cs_seat_02", "售后客服 02", 500, "cs_seat"),
)


@dataclass(frozen=True)
class _ChannelBehaviour:
    """How a channel's joiners arrive and leave (not ground truth a model should recover)."""

    buyer_weight: float
    potential_weight: float
    delay_days: tuple[float, float]  # join delay after the first purchase
    leave_probability: float
    quick_leave_share: float  # of leavers, the share who leave within 7 days
    official_account_share: float


CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel("red_envelope_card", "包裹卡·加微领 3 元红包", "package_card", 600, 0.55, 1.7),
    DemoChannel("package_card", "包裹卡·扫码领冲泡指南", "package_card", 40, 1.0, 1.0),
    DemoChannel("cs_invite", "客服邀请加微", "customer_service", 20, 1.6, 0.55),
    DemoChannel("sms_invite", "短信邀请", "sms", 180, 0.9, 1.1),
    DemoChannel("live_stream", "直播间引流", "live_stream", 350, 0.8, 1.25),
    DemoChannel("kol", "达人种草", "kol", 1_500, 0.9, 1.0),
    DemoChannel("referral", "老客推荐", "referral", 1_000, 1.3, 0.8),
    DemoChannel("moments_ads", "朋友圈广告·小程序首单", "ads", 2_500, 0.85, 1.15),
)
_BEHAVIOUR: tuple[_ChannelBehaviour, ...] = (
    _ChannelBehaviour(0.34, 0.00, (3.0, 9.0), 0.65, 0.85, 0.0),
    _ChannelBehaviour(0.12, 0.00, (3.0, 10.0), 0.15, 0.25, 0.0),
    _ChannelBehaviour(0.08, 0.00, (0.0, 0.1), 0.06, 0.10, 0.0),
    _ChannelBehaviour(0.14, 0.00, (5.0, 40.0), 0.20, 0.30, 0.0),
    _ChannelBehaviour(0.12, 0.40, (0.0, 1.0), 0.30, 0.40, 0.3),
    _ChannelBehaviour(0.06, 0.30, (0.0, 3.0), 0.20, 0.30, 0.1),
    _ChannelBehaviour(0.06, 0.20, (0.0, 1.0), 0.08, 0.10, 0.0),
    _ChannelBehaviour(0.08, 0.10, (0.0, 0.0), 0.25, 0.30, 0.0),
)
RED_ENVELOPE = 0
CS_INVITE = 2
SMS_INVITE = 3
MOMENTS_ADS = 7

CARRIERS: tuple[str, ...] = ("wecom", "group", "official_account", "mini_program")
WECOM_CARRIER, GROUP_CARRIER, OFFICIAL_ACCOUNT_CARRIER, MINI_PROGRAM_CARRIER = 0, 1, 2, 3
LEFT_REASONS: tuple[str, ...] = (
    "deleted_by_customer",
    "removed_by_staff",
    "blocked",
    "left_group",
)
STATUSES: tuple[str, ...] = ("pending_payment", "paid", "shipped", "completed", "closed")
PENDING, PAID, SHIPPED, COMPLETED, CLOSED = 0, 1, 2, 3, 4
CONSENT_CHANNELS: tuple[str, ...] = ("wecom", "sms", "email")
CONSENT_SOURCES: tuple[str, ...] = ("join", "import", "opt_out_reply", "unsubscribe_link")

HOME_SHOP_LOYALTY = 0.75  # public repeat orders in the shop of the first order
PRIVATE_ORDER_SHARE = 0.6  # of a pool member's repeat orders while the contact lasts
MINI_PROGRAM_SHARE = 0.7  # of private orders
PROMOTION_SHARE = 0.12  # of acquisitions in the 6.18 / Double 11 bursts
GROUP_SHARE = 0.25  # of WeCom contacts also in a customer group
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彬鹏辉宇浩凯晨欣怡梓涵子轩雨"
)
EMAIL_DOMAINS: tuple[str, ...] = ("qq.com", "163.com", "126.com", "foxmail.com", "gmail.com")
URL_SAFE = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8
)


# --------------------------------------------------------------------------------------------
# The result tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CustomerTable:
    """One row per customer: buyers (sorted by acquisition), then potential customers.

    Ground truth for CLV tests: ``lam``/``p`` are the customer's true rates (channel
    multipliers applied), ``alive_at_end``/``prob_alive_true`` the simulation state at the end
    of the window, and ``expected_purchases_next_365d`` is E[purchases in (end, end+365d]]
    given the true ``lam``, ``p`` and whether the customer is alive. Rate fields are NaN and
    the expectations 0 for potential customers (never acquired).
    """

    phone: StrArray
    email: StrArray
    unionid: StrArray
    external_userid: StrArray
    name: StrArray
    acquired_at: TimeArray
    lam: FloatArray
    p: FloatArray
    spend_mean_fen: FloatArray
    alive_at_end: BoolArray
    died_at: TimeArray
    n_orders: IntArray
    n_purchases: IntArray
    favourite_series: IntArray  # index into SERIES; -1 for potential customers
    channel: IntArray
    joined_pool_at: TimeArray
    expected_purchases_next_365d: FloatArray
    prob_alive_true: FloatArray

    def __len__(self) -> int:
        return int(self.phone.size)


@dataclass(frozen=True, eq=False)
class OrderTable:
    """One row per order, sorted by (customer, ordered_at)."""

    order_no: StrArray
    customer: IntArray
    shop: IntArray
    ordered_at: TimeArray
    paid_at: TimeArray
    status: StrArray
    goods_fen: IntArray
    shipping_fen: IntArray
    discount_fen: IntArray
    paid_fen: IntArray
    phone_masked: BoolArray
    buyer_id: StrArray
    first_line: IntArray
    n_lines: IntArray

    def __len__(self) -> int:
        return int(self.customer.size)


@dataclass(frozen=True, eq=False)
class LineTable:
    """One row per order line; ``amount_fen = unit_price_fen * quantity - discount_fen``."""

    order: IntArray
    product: IntArray
    quantity: IntArray
    unit_price_fen: IntArray
    discount_fen: IntArray
    amount_fen: IntArray

    def __len__(self) -> int:
        return int(self.order.size)


@dataclass(frozen=True, eq=False)
class RefundTable:
    """One row per refund, sorted by order; ``line`` is -1 for a whole-order refund."""

    order: IntArray
    line: IntArray
    amount_fen: IntArray
    refunded_at: TimeArray

    def __len__(self) -> int:
        return int(self.order.size)


@dataclass(frozen=True, eq=False)
class ContactTable:
    """One row per presence in a private carrier, sorted by (customer, joined_at)."""

    customer: IntArray
    carrier: StrArray
    staff: IntArray
    channel: IntArray
    joined_at: TimeArray
    left_at: TimeArray
    left_reason: StrArray

    def __len__(self) -> int:
        return int(self.customer.size)


@dataclass(frozen=True, eq=False)
class ChannelCostTable:
    """Spend of a channel on a China business day: its joiners that day x cost per joiner."""

    channel: IntArray
    day: NDArray[np.datetime64]
    amount_fen: IntArray

    def __len__(self) -> int:
        return int(self.channel.size)


@dataclass(frozen=True, eq=False)
class ConsentTable:
    """Marketing consent records, sorted by (customer, recorded_at)."""

    customer: IntArray
    channel: StrArray
    granted: BoolArray
    source: StrArray
    recorded_at: TimeArray

    def __len__(self) -> int:
        return int(self.customer.size)


@dataclass(frozen=True, eq=False)
class DemoBrand:
    """A simulated brand: its setup, its data and the truth behind it."""

    params: PopulationParams
    settings: DemoSettings
    seed: int
    start: date
    end: date
    shops: tuple[DemoShop, ...]
    products: tuple[DemoProduct, ...]
    channels: tuple[DemoChannel, ...]
    staff: tuple[DemoStaff, ...]
    customers: CustomerTable
    orders: OrderTable
    lines: LineTable
    refunds: RefundTable
    contacts: ContactTable
    channel_costs: ChannelCostTable
    consents: ConsentTable

    @property
    def start_at(self) -> np.datetime64:
        """The first instant of the window (``start`` 00:00 China time), UTC."""
        return np.datetime64(_window_start_s(self.start), "s")

    @property
    def end_at(self) -> np.datetime64:
        """The last instant of the window (``end`` 24:00 China time), UTC."""
        return np.datetime64(_window_start_s(self.end + timedelta(days=1)), "s")

    def summary(self) -> dict[str, int]:
        """Return counts of every table and the main money totals (fen)."""
        buyers = self.customers.n_orders > 0
        return {
            "customers": len(self.customers),
            "buyers": int(buyers.sum()),
            "potential_customers": int((~buyers).sum()),
            "repeat_buyers": int((self.customers.n_purchases >= 2).sum()),
            "pool_members": int((self.customers.channel >= 0).sum()),
            "alive_at_end": int(self.customers.alive_at_end.sum()),
            "orders": len(self.orders),
            "lines": len(self.lines),
            "refunds": len(self.refunds),
            "contacts": len(self.contacts),
            "channel_cost_rows": len(self.channel_costs),
            "consents": len(self.consents),
            "gmv_fen": int(self.orders.paid_fen.sum()),
            "refund_fen": int(self.refunds.amount_fen.sum()),
            "channel_cost_fen": int(self.channel_costs.amount_fen.sum()),
        }


# --------------------------------------------------------------------------------------------
# The purchase process
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PurchaseHistory:
    """Purchases of a BG/NBD population, one row per purchase, sorted by (customer, day)."""

    customer: IntArray
    day: FloatArray
    first: IntArray  # per customer: row of the first purchase
    count: IntArray  # per customer: purchases, the first included
    died_day: FloatArray  # per customer: day of the purchase after which they dropped out

    @property
    def alive(self) -> BoolArray:
        """Whether each customer is still alive at the horizon."""
        return np.isnan(self.died_day)


def simulate_purchases(
    lam: FloatArray,
    p: FloatArray,
    acquired_day: FloatArray,
    horizon_day: float,
    rng: np.random.Generator,
    *,
    dropout_at_first: bool = True,
) -> PurchaseHistory:
    """Simulate purchases in ``[acquired_day, horizon_day]``, the first one at acquisition."""
    n = lam.size
    count = np.ones(n, dtype=np.int64)
    last = np.asarray(acquired_day, dtype=np.float64).copy()
    died = np.full(n, np.nan)
    rounds: list[tuple[IntArray, FloatArray]] = []
    active = np.arange(n, dtype=np.int64)
    if dropout_at_first:
        active = _survivors(active, last, p, died, rng)
    while active.size:
        nxt = last[active] + rng.standard_exponential(active.size) / lam[active]
        inside = nxt <= horizon_day
        active, nxt = active[inside], nxt[inside]
        last[active] = nxt
        count[active] += 1
        rounds.append((active, nxt))
        active = _survivors(active, last, p, died, rng)
    first = np.cumsum(count) - count
    day = np.empty(int(count.sum()))
    day[first] = acquired_day
    for k, (who, when) in enumerate(rounds, start=1):
        day[first[who] + k] = when
    customer = np.repeat(np.arange(n, dtype=np.int64), count)
    return PurchaseHistory(customer, day, first, count, died)


def _survivors(
    active: IntArray, last: FloatArray, p: FloatArray, died: FloatArray, rng: np.random.Generator
) -> IntArray:
    drops = rng.random(active.size) < p[active]
    died[active[drops]] = last[active[drops]]
    return active[~drops]


def expected_purchases_when_alive(
    lam: FloatArray, p: FloatArray, horizon_days: float
) -> FloatArray:
    """E[purchases in the next ``horizon_days``] for a customer alive now with rates lam, p.

    Dropouts happen at purchases, so deaths form a thinned Poisson process of rate lam*p:
    the remaining lifetime tau ~ Exp(lam*p), and the purchases up to min(tau, h), the fatal
    one included, number lam * E[min(tau, h)] = (1 - exp(-lam*p*h)) / p.
    """
    return -np.expm1(-lam * p * horizon_days) / p


def hyp2f1(a: float, b: float, c: float, z: float, *, tol: float = 1e-14) -> float:
    """Gauss hypergeometric 2F1(a, b; c; z) by its power series (|z| < 1)."""
    term, total, n = 1.0, 1.0, 0
    while abs(term) > tol * abs(total):
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
        if n > 100_000:
            raise ArithmeticError("2F1 series did not converge")
    return total


def bgnbd_expected_repeat_purchases(params: PopulationParams, t: float) -> float:
    """E[repeat purchases in (0, t]] for a cohort acquired at 0, under ``params``' convention."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + t)
    decay = (alpha / (alpha + t)) ** r
    if params.dropout_at_first:
        return float(b / (a - 1) * (1 - decay * hyp2f1(r, b + 1, a + b, z)))
    return float((a + b - 1) / (a - 1) * (1 - decay * hyp2f1(r, b, a + b - 1, z)))


# --------------------------------------------------------------------------------------------
# The window
# --------------------------------------------------------------------------------------------


def _window_start_s(day: date) -> int:
    return (day - EPOCH).days * DAY_S - CHINA_OFFSET_S


@dataclass(frozen=True)
class _Window:
    start: date
    end: date
    days: int

    @property
    def start_s(self) -> int:
        return _window_start_s(self.start)

    def instants(self, day: FloatArray) -> TimeArray:
        """Turn days since the window start into UTC instants (NaN → NaT)."""
        missing = np.isnan(day)
        seconds = np.nan_to_num(day * DAY_S, copy=False)
        np.rint(seconds, out=seconds)
        whole = seconds.astype(np.int64)
        whole += self.start_s
        out: TimeArray = whole.view("datetime64[s]")
        out[missing] = NAT
        return out

    def china_days(self, day: FloatArray) -> NDArray[np.datetime64]:
        """The China calendar day of each instant."""
        seconds = np.rint(day * DAY_S).astype(np.int64) + self.start_s + CHINA_OFFSET_S
        return (seconds // DAY_S).astype("datetime64[D]")

    def china_yymmdd(self, day: FloatArray) -> IntArray:
        """The China date of each instant as the integer yymmdd."""
        calendar = [self.start + timedelta(days=i) for i in range(self.days + 1)]
        table = np.array([d.year % 100 * 10_000 + d.month * 100 + d.day for d in calendar])
        # day 0 starts at midnight China time, so whole days are China dates
        index = np.rint(day * DAY_S).astype(np.int64) // DAY_S
        return cast(IntArray, table[np.clip(index, 0, self.days)].astype(np.int64))

    def festival_days(self) -> FloatArray:
        """Days (since start) of every 6.18 and Double 11 inside the window."""
        found = [
            float((festival - self.start).days)
            for year in range(self.start.year, self.end.year + 1)
            for festival in (date(year, 6, 18), date(year, 11, 11))
            if self.start + timedelta(days=2) <= festival <= self.end
        ]
        return np.array(found, dtype=np.float64)


def _make_window(end: date, years: float) -> _Window:
    days = max(30, round(years * 365.25))
    return _Window(end - timedelta(days=days - 1), end, days)


# --------------------------------------------------------------------------------------------
# Buyers: acquisition, channel, rates and purchases
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Buyers:
    acquired: FloatArray
    channel: IntArray
    joined: FloatArray
    lam: FloatArray
    p: FloatArray
    nu: FloatArray
    history: PurchaseHistory

    @property
    def size(self) -> int:
        return int(self.acquired.size)


def _rising_days(n: int, rng: np.random.Generator, window: _Window, growth: float) -> FloatArray:
    """Days drawn from a density proportional to 1 + growth * (day / window length)."""
    x = rng.random(n)
    if growth <= 0:
        return x * window.days
    return (np.sqrt(1 + growth * (2 + growth) * x) - 1) / growth * window.days


def _acquisition_days(
    n: int, rng: np.random.Generator, window: _Window, growth: float
) -> FloatArray:
    days = _rising_days(n, rng, window, growth)
    festivals = window.festival_days()
    if festivals.size == 0:
        return days
    burst = np.flatnonzero(rng.random(n) < PROMOTION_SHARE)
    weights = 1 + growth * festivals / window.days
    which = rng.choice(festivals.size, size=burst.size, p=weights / weights.sum())
    # the presale days before the festival and the festival day itself
    days[burst] = festivals[which] - 2 + 3 * rng.random(burst.size)
    return np.minimum(days, float(window.days))


def _pick(weights: FloatArray | list[float], n: int, rng: np.random.Generator) -> IntArray:
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    picked = np.searchsorted(cumulative / cumulative[-1], rng.random(n), side="right")
    return picked.astype(np.int64)


def _buyer_channels(
    acquired: FloatArray, rng: np.random.Generator, window: _Window, settings: DemoSettings
) -> tuple[IntArray, FloatArray]:
    """Which buyers join the pool, through which channel and when (NaN: never)."""
    n = acquired.size
    # the private-domain programme ramps up over the window
    join_probability = np.clip(
        settings.pool_join_share * (0.4 + 1.2 * acquired / window.days), 0, 1
    )
    joins = rng.random(n) < join_probability
    channel = np.full(n, -1, dtype=np.int64)
    channel[joins] = _pick([b.buyer_weight for b in _BEHAVIOUR], int(joins.sum()), rng)
    low = np.array([b.delay_days[0] for b in _BEHAVIOUR])
    high = np.array([b.delay_days[1] for b in _BEHAVIOUR])
    safe = np.maximum(channel, 0)
    joined = acquired + low[safe] + (high[safe] - low[safe]) * rng.random(n)
    joins &= joined <= window.days
    channel[~joins] = -1
    joined[~joins] = np.nan
    return channel, joined


def _individual_rates(
    channel: IntArray, rng: np.random.Generator, params: PopulationParams
) -> tuple[FloatArray, FloatArray]:
    n = channel.size
    lam_multiplier = np.array([c.lambda_multiplier for c in CHANNELS] + [1.0])
    p_multiplier = np.array([c.dropout_multiplier for c in CHANNELS] + [1.0])
    lam = rng.gamma(params.r, 1 / params.alpha, n) * lam_multiplier[channel]
    p = np.clip(rng.beta(params.a, params.b, n) * p_multiplier[channel], 1e-9, 0.98)
    # a tiny floor keeps the exponential gaps finite for the rare gamma draw of 0.0
    return np.maximum(lam, 1e-12), p


def _draw_buyers(
    n: int,
    rng: np.random.Generator,
    window: _Window,
    params: PopulationParams,
    settings: DemoSettings,
) -> _Buyers:
    acquired = _acquisition_days(n, rng, window, settings.acquisition_growth)
    channel, joined = _buyer_channels(acquired, rng, window, settings)
    lam, p = _individual_rates(channel, rng, params)
    nu = rng.gamma(params.q, 1 / params.gamma, n)
    history = simulate_purchases(
        lam, p, acquired, float(window.days), rng, dropout_at_first=params.dropout_at_first
    )
    return _Buyers(acquired, channel, joined, lam, p, nu, history)


def _concat_buyers(batches: list[_Buyers]) -> _Buyers:
    if len(batches) == 1:
        return batches[0]
    sizes = np.array([b.size for b in batches])
    offsets = np.cumsum(sizes) - sizes
    purchases = np.cumsum([b.history.day.size for b in batches])
    purchase_offsets = np.concatenate([[0], purchases[:-1]])
    history = PurchaseHistory(
        customer=np.concatenate(
            [b.history.customer + o for b, o in zip(batches, offsets, strict=True)]
        ),
        day=np.concatenate([b.history.day for b in batches]),
        first=np.concatenate(
            [b.history.first + o for b, o in zip(batches, purchase_offsets, strict=True)]
        ),
        count=np.concatenate([b.history.count for b in batches]),
        died_day=np.concatenate([b.history.died_day for b in batches]),
    )
    return _Buyers(
        acquired=np.concatenate([b.acquired for b in batches]),
        channel=np.concatenate([b.channel for b in batches]),
        joined=np.concatenate([b.joined for b in batches]),
        lam=np.concatenate([b.lam for b in batches]),
        p=np.concatenate([b.p for b in batches]),
        nu=np.concatenate([b.nu for b in batches]),
        history=history,
    )


def _take_buyers(buyers: _Buyers, order: IntArray) -> _Buyers:
    """Keep the buyers ``order`` names, renumbered in that order, with their purchases."""
    old = buyers.history
    count = old.count[order]
    first = np.cumsum(count) - count
    customer = np.repeat(np.arange(order.size, dtype=np.int64), count)
    within = np.arange(customer.size, dtype=np.int64) - first[customer]
    rows = old.first[order][customer] + within
    history = PurchaseHistory(customer, old.day[rows], first, count, old.died_day[order])
    return _Buyers(
        buyers.acquired[order],
        buyers.channel[order],
        buyers.joined[order],
        buyers.lam[order],
        buyers.p[order],
        buyers.nu[order],
        history,
    )


def _collect_buyers(
    target_purchases: int,
    seeds: np.random.SeedSequence,
    window: _Window,
    params: PopulationParams,
    settings: DemoSettings,
) -> _Buyers:
    """Draw i.i.d. buyers in batches until they make ``target_purchases``, then trim."""
    batches: list[_Buyers] = []
    purchases, per_buyer = 0, 1.7
    while purchases < target_purchases:
        n = int((target_purchases - purchases) / per_buyer * 1.05) + 32
        rng = np.random.default_rng(seeds.spawn(1)[0])
        batches.append(_draw_buyers(n, rng, window, params, settings))
        purchases += batches[-1].history.day.size
        per_buyer = purchases / sum(b.size for b in batches)
    merged = _concat_buyers(batches)
    # buyers are i.i.d., so a prefix is an unbiased sample of them
    keep = int(np.searchsorted(np.cumsum(merged.history.count), target_purchases)) + 1
    keep = min(keep, merged.size)
    order = np.argsort(merged.acquired[:keep], kind="stable").astype(np.int64)
    return _take_buyers(merged, order)


# --------------------------------------------------------------------------------------------
# The pool: potential customers and contacts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Contacts:
    customer: IntArray
    carrier: IntArray
    staff: IntArray
    channel: IntArray
    joined: FloatArray
    left: FloatArray
    reason: IntArray  # -1: still there

    @staticmethod
    def concat(parts: list[_Contacts]) -> _Contacts:
        return _Contacts(
            *(np.concatenate([getattr(p, name) for p in parts]) for name in _CONTACT_FIELDS)
        )

    def sorted(self) -> _Contacts:
        order = np.lexsort((self.joined, self.customer))
        return _Contacts(*(getattr(self, name)[order] for name in _CONTACT_FIELDS))


_CONTACT_FIELDS = ("customer", "carrier", "staff", "channel", "joined", "left", "reason")


def _potential_customers(
    n: int, rng: np.random.Generator, window: _Window, settings: DemoSettings
) -> tuple[IntArray, FloatArray]:
    channel = _pick([b.potential_weight for b in _BEHAVIOUR], n, rng)
    joined = np.sort(_rising_days(n, rng, window, settings.acquisition_growth))
    return channel, joined


def _staff_for(channel: IntArray, rng: np.random.Generator) -> IntArray:
    """A WeCom account for each joiner; customer-service invites go to the CS seats."""
    capacity = np.array([s.daily_capacity for s in STAFF], dtype=np.float64)
    is_cs = np.array([s.kind == "cs_seat" for s in STAFF])
    staff = _pick(np.where(is_cs, 0.0, capacity), channel.size, rng)
    cs = channel == CS_INVITE
    staff[cs] = _pick(np.where(is_cs, capacity, 0.0), int(cs.sum()), rng)
    return staff


def _first_contacts(
    channel: IntArray, joined: FloatArray, rng: np.random.Generator, window: _Window
) -> _Contacts:
    """Each pool member's first contact: the carrier the channel brought them into."""
    member = np.flatnonzero(channel >= 0).astype(np.int64)
    ch = channel[member]
    n = member.size
    official_share = np.array([b.official_account_share for b in _BEHAVIOUR])
    carrier = np.where(rng.random(n) < official_share[ch], OFFICIAL_ACCOUNT_CARRIER, WECOM_CARRIER)
    carrier[ch == MOMENTS_ADS] = MINI_PROGRAM_CARRIER
    staff = np.where(carrier == WECOM_CARRIER, _staff_for(ch, rng), -1).astype(np.int64)
    leave_probability = np.array([b.leave_probability for b in _BEHAVIOUR])
    quick_share = np.array([b.quick_leave_share for b in _BEHAVIOUR])
    start = joined[member]
    quick = rng.random(n) < quick_share[ch]
    stay = np.where(quick, 0.02 + 6.9 * rng.random(n), 7.0 + rng.exponential(240.0, n))
    left = start + stay
    leaves = (rng.random(n) < leave_probability[ch]) & (left <= window.days)
    left[~leaves] = np.nan
    reason = _pick([0.7, 0.15, 0.15], n, rng)  # deleted, removed by staff, blocked
    reason[quick & (ch == RED_ENVELOPE)] = 0
    reason[carrier != WECOM_CARRIER] = 0
    reason[~leaves] = -1
    return _Contacts(member, carrier.astype(np.int64), staff, ch, start, left, reason)


def _group_contacts(first: _Contacts, rng: np.random.Generator, window: _Window) -> _Contacts:
    """A quarter of WeCom contacts are also pulled into a customer group."""
    pick = np.flatnonzero(
        (first.carrier == WECOM_CARRIER) & (rng.random(first.customer.size) < GROUP_SHARE)
    )
    joined = first.joined[pick] + 5 * rng.random(pick.size)
    pick, joined = pick[joined <= window.days], joined[joined <= window.days]
    left = joined + rng.exponential(150.0, pick.size)
    leaves = (rng.random(pick.size) < 0.35) & (left <= window.days)
    left[~leaves] = np.nan
    reason = np.where(leaves, LEFT_REASONS.index("left_group"), -1).astype(np.int64)
    return _Contacts(
        first.customer[pick],
        np.full(pick.size, GROUP_CARRIER, dtype=np.int64),
        first.staff[pick],
        first.channel[pick],
        joined,
        left,
        reason,
    )


def _mini_program_contacts(
    order_customer: IntArray,
    order_shop: IntArray,
    order_day: FloatArray,
    first: _Contacts,
    channel: IntArray,
) -> _Contacts:
    """Members who buy in the mini program become its members at their first order there."""
    rows = np.flatnonzero(order_shop == MINI_PROGRAM_SHOP)
    customers, at = np.unique(order_customer[rows], return_index=True)
    already = first.customer[first.carrier == MINI_PROGRAM_CARRIER]
    new = ~np.isin(customers, already)
    customers, joined = customers[new], order_day[rows[at[new]]]
    n = customers.size
    return _Contacts(
        customers.astype(np.int64),
        np.full(n, MINI_PROGRAM_CARRIER, dtype=np.int64),
        np.full(n, -1, dtype=np.int64),
        channel[customers],
        joined,
        np.full(n, np.nan),
        np.full(n, -1, dtype=np.int64),
    )


# --------------------------------------------------------------------------------------------
# Orders: shops, closed checkouts, statuses, lines and money
# --------------------------------------------------------------------------------------------


def _choose_shops(
    history: PurchaseHistory,
    channel: IntArray,
    joined: FloatArray,
    left: FloatArray,
    rng: np.random.Generator,
) -> IntArray:
    customer, day = history.customer, history.day
    n = customer.size
    home = _pick(PUBLIC_SHOP_WEIGHTS, history.count.size, rng)
    shop = home[customer]
    is_first = np.zeros(n, dtype=bool)
    is_first[history.first] = True
    wander = np.flatnonzero(~is_first & (rng.random(n) > HOME_SHOP_LOYALTY))
    shop[wander] = _pick(PUBLIC_SHOP_WEIGHTS, wander.size, rng)
    ch = channel[customer]
    in_pool = (ch >= 0) & (joined[customer] <= day) & ~(left[customer] <= day)
    private = np.flatnonzero(in_pool & ~is_first & (rng.random(n) < PRIVATE_ORDER_SHARE))
    shop[private] = np.where(
        rng.random(private.size) < MINI_PROGRAM_SHARE, MINI_PROGRAM_SHOP, WECOM_SHOP
    )
    shop[is_first & (ch == MOMENTS_ADS)] = MINI_PROGRAM_SHOP
    return shop


@dataclass(frozen=True, eq=False)
class _Rows:
    """Order rows: every purchase, plus a closed checkout just before some repeat purchases."""

    purchase: IntArray  # the purchase each row copies
    closed: BoolArray
    day: FloatArray


def _with_closed_checkouts(
    history: PurchaseHistory, not_before: FloatArray, share: float, rng: np.random.Generator
) -> _Rows:
    """Insert closed checkouts; ``not_before`` bounds each purchase's checkout from below."""
    n = history.day.size
    repeat = np.ones(n, dtype=bool)
    repeat[history.first] = False
    chance = min(1.0, share * n / max(1, int(repeat.sum())))
    twin = repeat & (rng.random(n) < chance)
    copies = 1 + twin.astype(np.int64)
    purchase = np.repeat(np.arange(n, dtype=np.int64), copies)
    starts = np.cumsum(copies) - copies
    closed = np.zeros(purchase.size, dtype=bool)
    closed[starts[twin]] = True
    day = history.day[purchase]
    where = np.flatnonzero(twin)
    gap = history.day[where] - history.day[where - 1]
    # strictly between the previous purchase and this one, at most six hours before it
    offset = (0.2 + 0.3 * rng.random(where.size)) * np.minimum(gap, 0.25)
    day[starts[twin]] = np.maximum(history.day[where] - offset, not_before[where])
    return _Rows(purchase, closed, day)


def _statuses(
    day: FloatArray, closed: BoolArray, rng: np.random.Generator, window: _Window
) -> tuple[IntArray, FloatArray]:
    """Each row's status and its payment day (NaN when unpaid)."""
    n = day.size
    age = window.days - day
    paid_day = day + (10 + 1_190 * rng.random(n)) / DAY_S
    ship_age = 0.3 + 2.2 * rng.random(n)
    complete_age = ship_age + 4 + 8 * rng.random(n)
    status = np.full(n, COMPLETED, dtype=np.int64)
    status[age < complete_age] = SHIPPED
    status[age < ship_age] = PAID
    pending = (paid_day > window.days) | ((age < 1) & (rng.random(n) < 0.04))
    status[pending] = PENDING
    status[closed] = CLOSED
    paid_day[(status == PENDING) | (status == CLOSED)] = np.nan
    return status, paid_day


@dataclass(frozen=True, eq=False)
class _Lines:
    order: IntArray
    product: IntArray
    quantity: IntArray
    unit_price: IntArray
    discount: IntArray
    amount: IntArray
    first_line: IntArray
    n_lines: IntArray


SPEND_BINS = 48
SPEND_RANGE = (np.log(300.0), np.log(300_000.0))
PRICE_FIT_SIGMA = 0.55


def _product_tables() -> FloatArray:
    """Flattened product CDFs per (first/repeat, spend bin, favourite series), offset by row.

    Row k's CDF is shifted by k so that the whole array is non-decreasing: one searchsorted
    of ``k + u`` then draws a product from row k for every line at once. Within a role the
    favourite series' products weigh ``SERIES_AFFINITY`` times the others (renormalised so
    each role keeps its share before the price kernel) with a wider price kernel.
    """
    price = np.array([pr.price_fen for pr in PRODUCTS], dtype=np.float64)
    role = np.array([ROLES.index(pr.role) for pr in PRODUCTS])
    series = np.array([pr.series for pr in PRODUCTS])
    centres = np.linspace(*SPEND_RANGE, SPEND_BINS)
    distance = np.log(price)[None, :] - centres[:, None]
    fit = np.maximum(np.exp(-0.5 * (distance / PRICE_FIT_SIGMA) ** 2), 1e-6)
    fan_sigma = FAN_PRICE_STRETCH * PRICE_FIT_SIGMA
    fan_fit = np.maximum(np.exp(-0.5 * (distance / fan_sigma) ** 2), 1e-6)
    # (series, product): a fan weighs the series' products more and stretches the budget
    fan = series[None, :] == np.array(SERIES)[:, None]
    boost = np.where(fan, SERIES_AFFINITY, 1.0)
    within = boost / np.stack([np.bincount(role, weights=b)[role] for b in boost])
    fits = np.where(fan[None, :, :], fan_fit[:, None, :], fit[:, None, :])
    tables = []
    for role_weights in (FIRST_ROLE_WEIGHTS, REPEAT_ROLE_WEIGHTS):
        weight = fits * (role_weights[role] * within)[None, :, :]
        weight = weight.reshape(-1, len(PRODUCTS))
        tables.append(np.cumsum(weight, axis=1) / weight.sum(axis=1, keepdims=True))
    cdf = np.concatenate(tables)
    cdf[:, -1] = 1.0
    return cast(FloatArray, (cdf + np.arange(cdf.shape[0])[:, None]).ravel())


def _spend_bin(value: FloatArray) -> IntArray:
    """The spend bin whose price kernel is centred on ``value``.

    The kernel is log-normal in price, so it is centred sigma²/2 lower in log terms to make
    the expected price of the chosen product equal to the intended value, not above it.
    """
    low, high = SPEND_RANGE
    position = (np.log(value) - PRICE_FIT_SIGMA**2 / 2 - low) / (high - low) * (SPEND_BINS - 1)
    spend_bin: IntArray = np.clip(np.rint(position), 0, SPEND_BINS - 1).astype(np.int64)
    return spend_bin


def _draw_lines(
    target: FloatArray,
    is_first: BoolArray,
    customer: IntArray,
    favourite: IntArray,
    rng: np.random.Generator,
    redraw_rng: np.random.Generator,
) -> _Lines:
    """Lines of each order (orders sorted by customer; ``favourite``: series per buyer)."""
    n = target.size
    # 1, 2 or 3 lines: first orders 72/22/6 %, later ones 50/32/18 %
    u = rng.random(n)
    n_lines = 1 + (u > np.where(is_first, 0.72, 0.50)) + (u > np.where(is_first, 0.94, 0.82))
    first_line = np.cumsum(n_lines) - n_lines
    order = np.repeat(np.arange(n, dtype=np.int64), n_lines)
    per_line = target[order] / n_lines[order]
    spend_row = _spend_bin(per_line) + SPEND_BINS * (~is_first[order]).astype(np.int64)
    row = spend_row * len(SERIES) + favourite[customer[order]]
    tables = _product_tables()
    product = _draw_products(tables, row, rng.random(order.size))
    product = _without_owned_durables(tables, row, product, customer[order], redraw_rng)
    price = np.array([pr.price_fen for pr in PRODUCTS], dtype=np.int64)[product]
    quantity = np.clip(np.rint(per_line / price), 1, 6).astype(np.int64)
    gross = price * quantity
    discounted = rng.random(order.size) < 0.2
    discount = np.where(discounted, np.floor(gross * (0.05 + 0.15 * rng.random(order.size))), 0)
    discount = discount.astype(np.int64)
    return _Lines(order, product, quantity, price, discount, gross - discount, first_line, n_lines)


def _draw_products(tables: FloatArray, row: IntArray, u: FloatArray) -> IntArray:
    """One product per line from its table row (u uniform in [0, 1))."""
    # u stays clear of 1.0 so that row + u never rounds up into the next row
    flat = np.searchsorted(tables, row + np.minimum(u, 1 - 1e-12), side="right")
    return (flat - row * len(PRODUCTS)).astype(np.int64)


def _without_owned_durables(
    tables: FloatArray, row: IntArray, product: IntArray, owner: IntArray, rng: np.random.Generator
) -> IntArray:
    """Draw again the lines where a customer buys a durable product a second time.

    Lines are in purchase order per customer, so the first line of a (customer, product) pair
    is the purchase; a few owners may keep a second one after ``DURABLE_REDRAWS`` draws.
    """
    durable = np.array([pr.durable for pr in PRODUCTS])
    product = product.copy()
    for _ in range(DURABLE_REDRAWS):
        _, first = np.unique(owner * len(PRODUCTS) + product, return_index=True)
        again = np.ones(product.size, dtype=bool)
        again[first] = False
        redo = np.flatnonzero(again & durable[product])
        if redo.size == 0:
            break
        product[redo] = _draw_products(tables, row[redo], rng.random(redo.size))
    return product


def _order_money(
    goods: IntArray, shop: IntArray, status: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray, IntArray]:
    """Order-level coupon, shipping and paid amount (0 when unpaid), all integer fen."""
    n = goods.size
    coupon = np.zeros(n, dtype=np.int64)
    draw = rng.random(n)
    coupon[(goods >= 15_000) & (draw < 0.3)] = 1_500  # 满150减15
    coupon[(goods >= 30_000) & (draw < 0.45)] = 3_000  # 满300减30
    member = (shop >= N_PUBLIC) & (rng.random(n) < 0.3)
    member_coupon = goods // 1_000 * 100  # member day: 10% off, whole yuan
    coupon[member] = np.maximum(coupon[member], member_coupon[member])
    charged = (goods - coupon < 4_900) & (rng.random(n) < 0.55)
    shipping = np.where(charged, 600 + 100 * rng.integers(0, 5, n), 0).astype(np.int64)
    unpaid = (status == PENDING) | (status == CLOSED)
    paid = np.where(unpaid, 0, goods - coupon + shipping).astype(np.int64)
    return coupon, shipping, paid


@dataclass(frozen=True, eq=False)
class _Refunds:
    order: IntArray
    line: IntArray
    amount: IntArray
    day: FloatArray


def _refunds(
    status: IntArray,
    paid_fen: IntArray,
    paid_day: FloatArray,
    lines: _Lines,
    share: float,
    rng: np.random.Generator,
    window: _Window,
) -> _Refunds:
    eligible = np.flatnonzero((status != PENDING) & (status != CLOSED))
    chance = min(1.0, share * status.size / max(1, eligible.size))
    order = eligible[rng.random(eligible.size) < chance]
    n = order.size
    full = rng.random(n) < 0.4
    line = lines.first_line[order] + np.floor(rng.random(n) * lines.n_lines[order]).astype(np.int64)
    fraction = np.where(rng.random(n) < 0.5, 1.0, 0.2 + 0.7 * rng.random(n))
    partial = np.maximum(1, np.floor(lines.amount[line] * fraction)).astype(np.int64)
    amount = np.where(full, paid_fen[order], np.minimum(partial, paid_fen[order]))
    line = np.where(full, -1, line)
    day = paid_day[order] + 0.1 + 19.9 * rng.random(n)
    done = day <= window.days
    return _Refunds(order[done], line[done], amount[done].astype(np.int64), day[done])


# --------------------------------------------------------------------------------------------
# Identifiers: fast strings built from integer arrays
# --------------------------------------------------------------------------------------------


_DIGIT_QUADS = np.array(
    [np.frombuffer(f"{i:04d}".encode(), dtype=np.uint32)[0] for i in range(10_000)],
    dtype=np.uint32,
)


def _digit_matrix(values: IntArray, width: int) -> ByteMatrix:
    """ASCII digits of non-negative integers, zero-padded to ``width``, one row each."""
    quads = -(-width // 4)
    out = np.empty((values.size, quads), dtype=np.uint32)
    rest = values.astype(np.int64, copy=True)
    # four digits (one uint32 of ASCII) per 64-bit division: the division is what costs
    for quad in range(quads - 1, -1, -1):
        rest, chunk = np.divmod(rest, 10_000)
        out[:, quad] = _DIGIT_QUADS[chunk]
    return out.view(np.uint8)[:, 4 * quads - width :]


def _ascii(text: str) -> ByteMatrix:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8)


class _AsciiColumn:
    """A string column assembled as a NUL-padded byte matrix, converted once at the end.

    NumPy drops trailing NULs of ``S`` strings, so rows of different lengths (and empty
    rows) share one matrix, and the costly per-element string conversion happens once.
    """

    def __init__(self, rows: int, width: int) -> None:
        self.matrix = np.zeros((rows, width), dtype=np.uint8)

    def put(self, rows: IntArray, *parts: ByteMatrix) -> None:
        """Write the concatenated parts into ``rows``, left-aligned."""
        column = 0
        for part in parts:
            width = part.shape[-1]
            self.matrix[rows, column : column + width] = part
            column += width

    def strings(self) -> StrArray:
        """The column as a StringDType array ('' for untouched rows)."""
        rows, width = self.matrix.shape
        if rows == 0 or width == 0:
            return _empty_strings(rows)
        return _as_strings(self.matrix.view(f"S{width}").ravel())


def _as_strings(array: NDArray[Any]) -> StrArray:
    return cast(StrArray, array.astype(STRING))


def _empty_strings(n: int) -> StrArray:
    return cast(StrArray, np.zeros(n, dtype=STRING))


def _vocabulary(words: tuple[str, ...], index: IntArray) -> StrArray:
    """Words by index; -1 gives ''."""
    table = np.array([w.encode() for w in (*words, "")])
    return _as_strings(table[np.where(index < 0, len(words), index)])


def _join(*parts: StrArray | str) -> StrArray:
    """Element-wise concatenation of string arrays (and plain strings)."""
    joined: Any = parts[0]
    for part in parts[1:]:
        joined = np.strings.add(joined, cast(Any, part))
    return cast(StrArray, joined)


def _affine_permutation(index: IntArray, modulus: int, rng: np.random.Generator) -> IntArray:
    """A seeded bijection of [0, modulus): unique outputs that look scattered.

    ``modulus * index.max()`` must stay below 2**63 (true for every size used here).
    """
    multiplier = int(rng.integers(modulus // 10, modulus))
    while np.gcd(multiplier, modulus) != 1:
        multiplier += 1
    offset = int(rng.integers(0, modulus))
    return (index * multiplier + offset) % modulus


def _every(n: int) -> IntArray:
    return np.arange(n, dtype=np.int64)


def _phones(n: int, rng: np.random.Generator) -> StrArray:
    """Unique fake mobile numbers in the 198/199 ranges."""
    number = _affine_permutation(_every(n), 200_000_000, rng)
    column = _AsciiColumn(n, 11)
    column.put(_every(n), _digit_matrix(19_800_000_000 + number, 11))
    return column.strings()


def _random_tokens(n: int, length: int, rng: np.random.Generator) -> ByteMatrix:
    draws = rng.integers(0, URL_SAFE.size, size=(n, length), dtype=np.uint8)
    return URL_SAFE[draws]


def _names(n: int, rng: np.random.Generator) -> StrArray:
    """Chinese-looking names of two or three characters, built from code points."""
    surnames = np.array([ord(c) for c in SURNAMES], dtype=np.uint32)
    given = np.array([ord(c) for c in GIVEN_CHARS], dtype=np.uint32)
    points = np.empty((n, 3), dtype=np.uint32)
    points[:, 0] = surnames[rng.integers(0, surnames.size, n)]
    points[:, 1:] = given[rng.integers(0, given.size, (n, 2))]
    points[rng.random(n) < 0.3, 2] = 0  # a trailing NUL ends a 'U3' string early
    return _as_strings(points.view("U3").ravel())


def _emails(n: int, share: float, rng: np.random.Generator) -> StrArray:
    who = np.flatnonzero(rng.random(n) < share)
    local = _digit_matrix(100_000_000 + _affine_permutation(who, 900_000_000, rng), 9)
    domain = _pick([0.45, 0.2, 0.12, 0.13, 0.1], who.size, rng)
    column = _AsciiColumn(n, 9 + 1 + max(len(d) for d in EMAIL_DOMAINS))
    for index, name in enumerate(EMAIL_DOMAINS):
        rows = domain == index
        column.put(who[rows], local[rows], _ascii(f"@{name}"))
    return column.strings()


def _prefixed_ids(
    prefix: str, who: IntArray, length: int, rng: np.random.Generator, n: int
) -> StrArray:
    column = _AsciiColumn(n, len(prefix) + length)
    column.put(who, _ascii(prefix), _random_tokens(who.size, length, rng))
    return column.strings()


def _order_numbers(
    shop: IntArray, day: FloatArray, window: _Window, rng: np.random.Generator
) -> StrArray:
    """Unique, platform-like order numbers: lead digits, China date (yymmdd), unique tail."""
    n = shop.size
    tail = _affine_permutation(_every(n), 10**10, rng)
    yymmdd = window.china_yymmdd(day)
    column = _AsciiColumn(n, max(len(lead) + digits for lead, digits in ORDER_NO_FORMATS) + 16)
    for index, (lead, random_digits) in enumerate(ORDER_NO_FORMATS):
        rows = np.flatnonzero(shop == index)
        noise = rng.integers(0, 10**random_digits, rows.size)
        # noise, date and tail as one integer: at most 2 + 6 + 10 = 18 digits
        number = (noise * 10**6 + yymmdd[rows]) * 10**10 + tail[rows]
        column.put(rows, _ascii(lead), _digit_matrix(number, random_digits + 16))
    return column.strings()


def _buyer_ids(
    customer: IntArray, shop: IntArray, n_buyers: int, share: float, rng: np.random.Generator
) -> StrArray:
    """Platform buyer ids; a few customers switch to a second id on one platform."""
    account = customer.copy()
    rows, switcher = _second_account_rows(customer, shop, n_buyers, share, rng)
    account[rows] = n_buyers + switcher
    column = _AsciiColumn(customer.size, max(len(p) + w for p, w in BUYER_ID_FORMATS))
    for index, (prefix, width) in enumerate(BUYER_ID_FORMATS):
        rows = np.flatnonzero(shop == index)
        base = 10 ** (width - 1)
        number = base + _affine_permutation(account[rows], 9 * base, rng)
        column.put(rows, _ascii(prefix), _digit_matrix(number, width))
    return column.strings()


def _second_account_rows(
    customer: IntArray, shop: IntArray, n_buyers: int, share: float, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Rows where a chosen customer uses a second buyer id (from some later order on).

    Returns the rows and, for each, the number of its customer among those who switch.
    """
    public = np.flatnonzero(shop < N_PUBLIC)
    pair = customer[public] * N_PUBLIC + shop[public]
    counts = np.bincount(pair, minlength=n_buyers * N_PUBLIC)
    repeat_pairs = np.flatnonzero(counts >= 2)
    # one candidate platform per customer, so each chosen customer has one switch
    owner_of_pair = repeat_pairs // N_PUBLIC
    first_of_owner = np.concatenate([[True], owner_of_pair[1:] != owner_of_pair[:-1]])
    candidates = repeat_pairs[first_of_owner]
    wanted = min(candidates.size, round(share * n_buyers))
    chosen = np.zeros(counts.size, dtype=bool)
    chosen[rng.choice(candidates, size=wanted, replace=False)] = True
    rows: IntArray = public[chosen[pair]].astype(np.int64)
    if rows.size == 0:
        return rows, rows
    owner = customer[rows]
    starts = np.flatnonzero(np.concatenate([[True], owner[1:] != owner[:-1]]))
    sizes = np.diff(np.concatenate([starts, [rows.size]]))
    group = np.repeat(np.arange(starts.size), sizes)
    rank = np.arange(rows.size) - starts[group]
    switch = 1 + np.floor(rng.random(starts.size) * (sizes - 1)).astype(np.int64)
    later = rank >= switch[group]
    return rows[later], group[later].astype(np.int64)


def exported_phones(brand: DemoBrand) -> StrArray:
    """The phone each order's export shows: the customer's, or masked like ``199****1234``."""
    phone = brand.customers.phone[brand.orders.customer]
    masked = np.flatnonzero(brand.orders.phone_masked)
    head = np.strings.slice(phone[masked], 0, 3)
    tail = np.strings.slice(phone[masked], 7, 11)
    phone[masked] = _join(head, "****", tail)
    return phone


# --------------------------------------------------------------------------------------------
# Channel costs and consents
# --------------------------------------------------------------------------------------------


def _channel_costs(channel: IntArray, joined: FloatArray, window: _Window) -> ChannelCostTable:
    member = np.flatnonzero(channel >= 0)
    day = window.china_days(joined[member])
    first_day = np.datetime64(window.start, "D")
    key = channel[member] * (window.days + 2) + (day - first_day).astype(np.int64)
    keys, joiners = np.unique(key, return_counts=True)
    ch = keys // (window.days + 2)
    cost = np.array([c.cost_per_joiner_fen for c in CHANNELS], dtype=np.int64)[ch] * joiners
    spent = cost > 0
    return ChannelCostTable(
        channel=ch[spent].astype(np.int64),
        day=first_day + (keys[spent] % (window.days + 2)),
        amount_fen=cost[spent].astype(np.int64),
    )


class _ConsentPart(NamedTuple):
    customer: IntArray
    channel: str
    granted: bool
    source: IntArray  # index into CONSENT_SOURCES
    at: FloatArray


def _consents(
    pool: _Pool,
    acquired: FloatArray,
    has_wecom: BoolArray,
    has_email: BoolArray,
    settings: DemoSettings,
    rng: np.random.Generator,
    window: _Window,
) -> ConsentTable:
    """Consents given on joining (SMS ones imported for SMS invitees), and later opt-outs."""
    channel, joined = pool.channel, pool.joined
    member = np.flatnonzero(channel >= 0)
    wecom = member[has_wecom[member]]
    email = member[has_email[member]]
    invited_by_sms = channel[member] == SMS_INVITE
    sms_out = member[rng.random(member.size) < settings.sms_opt_out_share]
    email_out = email[rng.random(email.size) < 0.04]
    parts = [
        _ConsentPart(
            member,
            "sms",
            True,
            np.where(invited_by_sms, _source("import"), _source("join")),
            np.where(invited_by_sms, acquired[member], joined[member]),
        ),
        _ConsentPart(wecom, "wecom", True, _sources("join", wecom), joined[wecom]),
        _ConsentPart(email, "email", True, _sources("join", email), joined[email]),
        _ConsentPart(
            sms_out,
            "sms",
            False,
            _sources("opt_out_reply", sms_out),
            _later(joined[sms_out], rng, window),
        ),
        _ConsentPart(
            email_out,
            "email",
            False,
            _sources("unsubscribe_link", email_out),
            _later(joined[email_out], rng, window),
        ),
    ]
    customer = np.concatenate([part.customer for part in parts])
    at = np.concatenate([part.at for part in parts])
    order = np.lexsort((at, customer))
    consent_channel = np.concatenate(
        [np.full(part.customer.size, CONSENT_CHANNELS.index(part.channel)) for part in parts]
    )
    granted = np.concatenate([np.full(part.customer.size, part.granted) for part in parts])
    source = np.concatenate([part.source for part in parts])
    return ConsentTable(
        customer=customer[order].astype(np.int64),
        channel=_vocabulary(CONSENT_CHANNELS, consent_channel[order].astype(np.int64)),
        granted=granted[order],
        source=_vocabulary(CONSENT_SOURCES, source[order].astype(np.int64)),
        recorded_at=window.instants(at[order]),
    )


def _source(name: str) -> int:
    return CONSENT_SOURCES.index(name)


def _sources(name: str, like: IntArray) -> IntArray:
    return np.full(like.size, _source(name), dtype=np.int64)


def _later(after: FloatArray, rng: np.random.Generator, window: _Window) -> FloatArray:
    return after + (window.days - after) * rng.random(after.size)


# --------------------------------------------------------------------------------------------
# The whole brand
# --------------------------------------------------------------------------------------------

_STREAMS = (
    "buyers",
    "potential",
    "contacts",
    "shops",
    "closed",
    "spend",
    "status",
    "lines",
    "money",
    "refunds",
    "order_no",
    "buyer_ids",
    "masked",
    "people",
    "consents",
    "affinity",  # appended last: the other streams keep their seeds
)


def simulate_brand(
    *,
    orders: int,
    seed: int = 7,
    end: date = date(2026, 10, 31),
    years: float = 3.0,
    params: PopulationParams | None = None,
    settings: DemoSettings | None = None,
) -> DemoBrand:
    """Simulate a brand with about ``orders`` orders over ``years`` up to ``end``."""
    params = params or PopulationParams()
    settings = settings or DemoSettings()
    window = _make_window(end, years)
    seeds = dict(zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS)), strict=True))
    rng = {name: np.random.default_rng(s) for name, s in seeds.items()}

    target = max(1, round(orders / (1 + settings.closed_share)))
    buyers = _collect_buyers(target, seeds["buyers"], window, params, settings)
    pool = _build_pool(buyers, rng, window, settings)
    favourite = rng["affinity"].integers(0, len(SERIES), buyers.size)
    sales = _build_sales(buyers, pool, favourite, params, settings, rng, window)
    contacts = _Contacts.concat(
        [pool.first, _group_contacts(pool.first, rng["contacts"], window), sales.mini_program]
    ).sorted()
    customers = _build_customers(
        buyers, pool, contacts, sales.orders.customer, favourite, params, settings, rng["people"],
        window,
    )  # fmt: skip
    return DemoBrand(
        params=params,
        settings=settings,
        seed=seed,
        start=window.start,
        end=window.end,
        shops=SHOPS,
        products=PRODUCTS,
        channels=CHANNELS,
        staff=STAFF,
        customers=customers,
        orders=sales.orders,
        lines=sales.lines,
        refunds=sales.refunds,
        contacts=ContactTable(
            customer=contacts.customer,
            carrier=_vocabulary(CARRIERS, contacts.carrier),
            staff=contacts.staff,
            channel=contacts.channel,
            joined_at=window.instants(contacts.joined),
            left_at=window.instants(contacts.left),
            left_reason=_vocabulary(LEFT_REASONS, contacts.reason),
        ),
        channel_costs=_channel_costs(pool.channel, pool.joined, window),
        consents=_consents(
            pool,
            np.concatenate([buyers.acquired, np.full(pool.n_potential, np.nan)]),
            customers.external_userid != "",
            customers.email != "",
            settings,
            rng["consents"],
            window,
        ),
    )


@dataclass(frozen=True, eq=False)
class _Pool:
    """Pool membership of every customer (buyers first, then potential customers)."""

    channel: IntArray  # -1: not in the pool
    joined: FloatArray  # NaN: never joined
    first: _Contacts
    left: FloatArray  # when the first contact ended (NaN: it lasts)
    n_potential: int


def _build_pool(
    buyers: _Buyers,
    rng: dict[str, np.random.Generator],
    window: _Window,
    settings: DemoSettings,
) -> _Pool:
    n_potential = round(settings.potential_share * int((buyers.channel >= 0).sum()))
    potential_channel, potential_joined = _potential_customers(
        n_potential, rng["potential"], window, settings
    )
    channel = np.concatenate([buyers.channel, potential_channel])
    joined = np.concatenate([buyers.joined, potential_joined])
    first = _first_contacts(channel, joined, rng["contacts"], window)
    left = np.full(channel.size, np.nan)
    left[first.customer] = first.left
    return _Pool(channel, joined, first, left, n_potential)


@dataclass(frozen=True, eq=False)
class _Sales:
    orders: OrderTable
    lines: LineTable
    refunds: RefundTable
    mini_program: _Contacts


def _build_sales(
    buyers: _Buyers,
    pool: _Pool,
    favourite: IntArray,
    params: PopulationParams,
    settings: DemoSettings,
    rng: dict[str, np.random.Generator],
    window: _Window,
) -> _Sales:
    history = buyers.history
    purchase_shop = _choose_shops(history, pool.channel, pool.joined, pool.left, rng["shops"])
    # a private shop's checkout cannot come before its customer joined the pool
    private = np.array([s.domain == "private" for s in SHOPS])[purchase_shop]
    not_before = np.where(private, pool.joined[history.customer], -np.inf)
    rows = _with_closed_checkouts(history, not_before, settings.closed_share, rng["closed"])
    customer = history.customer[rows.purchase]
    shop = purchase_shop[rows.purchase]
    first_purchase = np.zeros(history.day.size, dtype=bool)
    first_purchase[history.first] = True
    is_first = first_purchase[rows.purchase] & ~rows.closed
    # Gamma(p_s, rate nu): one intended value per purchase; a closed checkout copies it
    spend = rng["spend"].gamma(params.p_s, 1.0, history.day.size)
    target_spend = spend[rows.purchase] / buyers.nu[customer]
    status, paid_day = _statuses(rows.day, rows.closed, rng["status"], window)
    lines = _draw_lines(target_spend, is_first, customer, favourite, rng["lines"], rng["affinity"])
    goods = np.add.reduceat(lines.amount, lines.first_line) if lines.amount.size else lines.amount
    coupon, shipping, paid_fen = _order_money(goods, shop, status, rng["money"])
    refunds = _refunds(
        status, paid_fen, paid_day, lines, settings.refund_share, rng["refunds"], window
    )
    ordered_at = window.instants(rows.day)
    orders = OrderTable(
        order_no=_order_numbers(shop, rows.day, window, rng["order_no"]),
        customer=customer,
        shop=shop,
        ordered_at=ordered_at,
        paid_at=window.instants(paid_day),
        status=_vocabulary(STATUSES, status),
        goods_fen=goods,
        shipping_fen=shipping,
        discount_fen=coupon,
        paid_fen=paid_fen,
        phone_masked=rng["masked"].random(customer.size) < settings.masked_phone_share,
        buyer_id=_buyer_ids(
            customer, shop, buyers.size, settings.duplicate_buyer_id_share, rng["buyer_ids"]
        ),
        first_line=lines.first_line,
        n_lines=lines.n_lines,
    )
    return _Sales(
        orders=orders,
        lines=LineTable(
            order=lines.order,
            product=lines.product,
            quantity=lines.quantity,
            unit_price_fen=lines.unit_price,
            discount_fen=lines.discount,
            amount_fen=lines.amount,
        ),
        refunds=RefundTable(
            order=refunds.order,
            line=refunds.line,
            amount_fen=refunds.amount,
            refunded_at=window.instants(refunds.day),
        ),
        mini_program=_mini_program_contacts(customer, shop, rows.day, pool.first, pool.channel),
    )


def _build_customers(
    buyers: _Buyers,
    pool: _Pool,
    contacts: _Contacts,
    order_customer: IntArray,
    favourite: IntArray,
    params: PopulationParams,
    settings: DemoSettings,
    rng: np.random.Generator,
    window: _Window,
) -> CustomerTable:
    history = buyers.history
    n_customers = pool.channel.size
    alive = history.alive
    nan = np.full(pool.n_potential, np.nan)
    nothing = np.zeros(pool.n_potential)
    expected = np.where(alive, expected_purchases_when_alive(buyers.lam, buyers.p, 365.0), 0.0)
    with_wecom = np.unique(contacts.customer[contacts.carrier == WECOM_CARRIER])
    return CustomerTable(
        phone=_phones(n_customers, rng),
        email=_emails(n_customers, settings.email_share, rng),
        unionid=_prefixed_ids("oU", np.flatnonzero(pool.channel >= 0), 26, rng, n_customers),
        external_userid=_prefixed_ids("wm", with_wecom, 30, rng, n_customers),
        name=_names(n_customers, rng),
        acquired_at=window.instants(np.concatenate([buyers.acquired, nan])),
        lam=np.concatenate([buyers.lam, nan]),
        p=np.concatenate([buyers.p, nan]),
        spend_mean_fen=np.concatenate([params.p_s / buyers.nu, nan]),
        alive_at_end=np.concatenate([alive, nothing.astype(bool)]),
        died_at=window.instants(np.concatenate([history.died_day, nan])),
        n_orders=np.bincount(order_customer, minlength=n_customers).astype(np.int64),
        n_purchases=np.concatenate([history.count, nothing.astype(np.int64)]),
        favourite_series=np.concatenate([favourite, np.full(pool.n_potential, -1)]),
        channel=pool.channel,
        joined_pool_at=window.instants(pool.joined),
        expected_purchases_next_365d=np.concatenate([expected, nothing]),
        prob_alive_true=np.concatenate([alive.astype(np.float64), nothing]),
    )
