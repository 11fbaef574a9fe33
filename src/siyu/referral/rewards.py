"""The narrow interface through which referral rewards reach the loyalty ledger.

The loyalty ledger implements `RewardSink` (`siyu.loyalty.rewards.LedgerRewardSink`: points
and stored value) and is the default wherever a loyalty programme exists; without one, and for
kinds no sink accepts (coupons), rewards stay recorded here as pending and nothing is lost.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session


class RewardSink(Protocol):
    """Grants one reward in the customer's ledger; idempotent on `idempotency_key`."""

    def accepts(self, kind: str) -> bool:
        """Whether this sink grants rewards of `kind` (points, coupon, stored_value)."""
        ...

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
