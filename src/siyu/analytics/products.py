"""Product roles: which products start first purchases and which bring customers back.

Figures follow a cohort: the customers whose first purchase occasion falls in the window,
through every purchase up to the moment. "First purchase" is the first occasion (a China
day; every product bought that day counts), a return is a second occasion, and a main
product is a profit or brand product (full size), bought on a later occasion. Revenue is
the lines' amounts as sold (before order-level coupons and refunds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from ibis.expr.types import Table

from siyu.analytics._frames import Frame
from siyu.analytics.periods import china_date, day_number
from siyu.analytics.repurchase import Purchases, prepared_or_new

ENTRY_ROLES: Final = ("traffic", "trial")
MAIN_ROLES: Final = ("profit", "brand")
UNKNOWN_ROLE: Final = ""
Key = Literal["product_id", "product_role"]


@dataclass(frozen=True, slots=True)
class ProductFigures:
    """One product's (or one role's) part in first and repeat purchases of the cohort."""

    key: int | str  # product id, or role ("" when unknown)
    role: str
    buyers: int  # cohort customers who bought it
    revenue_fen: int
    first_buyers: int  # whose first purchase included it
    returned: int  # of those, came back for a second purchase
    later_main: int  # of those, bought a main product on a later occasion
    repeat_buyers: int  # bought it on a repeat occasion
    repeat_revenue_fen: int
    rebought: int  # bought it on two occasions or more

    @property
    def return_rate(self) -> float | None:
        """Share of its first buyers who came back (it brings customers back)."""
        return self.returned / self.first_buyers if self.first_buyers else None

    @property
    def to_main_rate(self) -> float | None:
        """Share of its first buyers who later bought a main product (trial → main)."""
        return self.later_main / self.first_buyers if self.first_buyers else None

    @property
    def repurchase_rate(self) -> float | None:
        """Share of its buyers who bought it again on another occasion."""
        return self.rebought / self.buyers if self.buyers else None


@dataclass(frozen=True)
class ProductRoles:
    """Per product and per role figures of one acquisition cohort."""

    first_purchasers: int
    returned: int
    later_main: int
    products: tuple[ProductFigures, ...]  # by product id
    roles: tuple[ProductFigures, ...]  # by role name

    @property
    def return_rate(self) -> float | None:
        """Share of the cohort that came back."""
        return self.returned / self.first_purchasers if self.first_purchasers else None

    def first_share(self, figures: ProductFigures) -> float | None:
        """Share of the cohort's first purchases that included this product or role."""
        return figures.first_buyers / self.first_purchasers if self.first_purchasers else None


def _cohort_lines(
    bought: Purchases, lines: Table, acquired_from: datetime | None
) -> tuple[Table, Table]:
    """Customer flags of the cohort, and its purchase lines with their occasion number."""
    occ = bought.occasions
    first = occ.filter(occ.n == 1)
    if acquired_from is not None:
        first = first.filter(first.cday >= day_number(china_date(acquired_from)))
    totals = occ.group_by("customer_id").aggregate(occasions=occ.n.max())
    cohort = first.select("customer_id").join(totals, "customer_id")
    p = bought.rows.select(order_id="id", customer_id="customer_id", cday="cday")
    sold = lines.select("order_id", "product_id", "product_role", "amount_fen").join(p, "order_id")
    sold = sold.join(occ.select("customer_id", "cday", "n"), ["customer_id", "cday"])
    sold = sold.join(cohort.select("customer_id"), "customer_id")
    sold = sold.mutate(product_role=sold.product_role.fill_null(UNKNOWN_ROLE))
    main_later = sold.product_role.isin(MAIN_ROLES) & (sold.n >= 2)
    main = sold.group_by("customer_id").aggregate(later_main=main_later.cast("int64").max())
    renamed = main.rename(right_id="customer_id")
    flags = cohort.left_join(renamed, cohort.customer_id == renamed.right_id).drop("right_id")
    return flags, sold


def _per_key(sold: Table, flags: Table, key: Key) -> Frame:
    rows = sold.filter(sold[key].notnull())
    repeat = rows.n >= 2
    pairs = rows.group_by([key, "customer_id"]).aggregate(
        role=rows.product_role.max(),
        first=(rows.n.min() == 1).cast("int64"),
        any_repeat=repeat.cast("int64").max(),
        occasions_with=rows.n.nunique(),
        revenue=rows.amount_fen.sum(),
        repeat_revenue=rows.amount_fen.sum(where=repeat),
    )
    pairs = pairs.join(flags, "customer_id")
    returned = pairs.first * (pairs.occasions >= 2).cast("int64")
    later_main = pairs.first * pairs.later_main.fill_null(0)
    out: Frame = (
        pairs.group_by(key)
        .aggregate(
            role=pairs.role.max(),
            buyers=pairs.count(),
            revenue=pairs.revenue.sum(),
            first_buyers=pairs.first.sum(),
            returned=returned.sum(),
            later_main=later_main.sum(),
            repeat_buyers=pairs.any_repeat.sum(),
            repeat_revenue=pairs.repeat_revenue.fill_null(0).sum(),
            rebought=(pairs.occasions_with >= 2).cast("int64").sum(),
        )
        .order_by(key)
        .execute()
    )
    return out


def _figures(frame: Frame, key: Key) -> tuple[ProductFigures, ...]:
    return tuple(
        ProductFigures(
            key=int(row[key]) if key == "product_id" else str(row[key]),
            role=str(row["role"]),
            buyers=int(row["buyers"]),
            revenue_fen=int(row["revenue"]),
            first_buyers=int(row["first_buyers"]),
            returned=int(row["returned"]),
            later_main=int(row["later_main"]),
            repeat_buyers=int(row["repeat_buyers"]),
            repeat_revenue_fen=int(row["repeat_revenue"]),
            rebought=int(row["rebought"]),
        )
        for row in frame.to_dict("records")
    )


def product_roles(
    orders: Table,
    lines: Table,
    until: datetime,
    *,
    acquired_from: datetime | None = None,
    prepared: Purchases | None = None,
) -> ProductRoles:
    """Product and role figures of the customers first buying from ``acquired_from`` on."""
    bought = prepared_or_new(orders, until, prepared)
    flags, sold = _cohort_lines(bought, lines, acquired_from)
    with flags.cache() as cohort, sold.cache() as cohort_lines:
        return _roles(cohort, cohort_lines)


def _roles(flags: Table, sold: Table) -> ProductRoles:
    totals = flags.aggregate(
        customers=flags.count(),
        returned=(flags.occasions >= 2).cast("int64").sum(),
        later_main=flags.later_main.fill_null(0).sum(),
    ).execute()
    first = totals.fillna(0).iloc[0]
    return ProductRoles(
        first_purchasers=int(first["customers"]),
        returned=int(first["returned"]),
        later_main=int(first["later_main"]),
        products=_figures(_per_key(sold, flags, "product_id"), "product_id"),
        roles=_figures(_per_key(sold, flags, "product_role"), "product_role"),
    )
