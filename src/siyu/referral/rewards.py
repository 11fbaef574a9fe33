"""The narrow interface through which referral rewards reach the loyalty ledger.

The loyalty package (points, coupons, stored value) implements `RewardSink`; until it is
connected, rewards stay recorded here as pending (or held for review) and nothing is lost.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session


class RewardSink(Protocol):
    """Grants one reward in the customer's ledger; idempotent on `idempotency_key`."""

    def grant(
        self,
        session: Session,
        *,
        workspace_id: int,
        customer_id: int,
        kind: str,
        amount: int,
        idempotency_key: str,
        memo: str,
    ) -> str:
        """Record the reward (points, or fen for coupon / stored value); return a ledger ref."""
        ...
