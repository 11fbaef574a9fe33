"""Figures of the overview as the API returns them (money in integer fen)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class CountRead(BaseModel):
    """Customers in one tier or stage."""

    key: str
    label: str
    customers: int


class PoolSideRead(BaseModel):
    """One side of the private pool: its size and its quality."""

    size: int
    buyers: int
    repeat_buyers: int
    repeat_share: float | None = Field(description="Repeat buyers over all customers on this side.")
    mean_clv_fen: int | None
    mean_p_alive: float | None


class SalesRead(BaseModel):
    """Sales of one domain in the window."""

    orders: int
    gmv_fen: int = Field(description="Paid amount of sold orders (before refunds).")
    refunded_fen: int
    buyers: int
    aov_fen: int | None = Field(description="Average order value: GMV over orders.")


class OverviewRead(BaseModel):
    """The brand at a glance, from the last published profiles and the orders."""

    as_of: date | None = Field(
        description="Day of the published profiles (None: `siyu run` never ran)."
    )
    computed_at: datetime | None
    customers: int
    buyers: int
    repeat_buyers: int
    repurchase_rate: float | None = Field(
        description="Buyers with two or more purchases over buyers."
    )
    mean_cycle_days: float | None = Field(description="Mean own purchase cycle of repeat buyers.")
    clv_total_fen: int | None
    clv_mean_fen: int | None
    pool: PoolSideRead
    outside_pool: PoolSideRead
    ladder: list[CountRead]
    stages: list[CountRead]
    window_days: int
    public: SalesRead
    private: SalesRead
    total: SalesRead


class TrendPointRead(BaseModel):
    """Sales of one day, month or year (China time)."""

    period: str
    public_fen: int
    private_fen: int
    orders: int
    buyers: int


class TrendRead(BaseModel):
    """Sales per period."""

    grain: Literal["day", "month", "year"]
    points: list[TrendPointRead]
