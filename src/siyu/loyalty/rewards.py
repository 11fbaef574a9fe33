"""The loyalty ledger as the referral programme's `RewardSink`: points and stored value.

Points rewards are earnings (a lot that expires like any other, repaying a debt first);
stored-value rewards are bonus (spendable, never paid out in a top-up refund). Each reward's
idempotency key is the posting's key, so a reward is paid once however often granting runs.
Coupons are not the ledger's: they stay pending for the coupon system.
"""

from __future__ import annotations

from typing import Final, Literal

from sqlalchemy.orm import Session

from siyu.loyalty import repository, service
from siyu.loyalty.schemas import GiftCreate, build

UNITS: Final[dict[str, Literal["points", "fen"]]] = {"points": "points", "stored_value": "fen"}


class LedgerRewardSink:
    """Grants referral rewards as loyalty postings."""

    def accepts(self, kind: str) -> bool:
        """Points and stored value are the ledger's; coupons are not."""
        return kind in UNITS

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
        """Post the reward (once per key); return 'loyalty:<posting id>'."""
        body = build(
            GiftCreate, customer_id=customer_id, unit=UNITS[kind], amount=amount,
            key=idempotency_key, reference="referral", memo=memo,
        )  # fmt: skip
        posting = service.gift(session, workspace_id, body)
        return f"loyalty:{posting.id}"


def sink_for(session: Session, workspace_id: int) -> LedgerRewardSink | None:
    """The ledger sink when the workspace has a loyalty programme, else None."""
    if repository.program_settings(session, workspace_id) is None:
        return None
    return LedgerRewardSink()
