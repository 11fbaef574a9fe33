"""Build invite lists from published profiles (never commits, never writes)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from siyu.invites import repository
from siyu.invites.rules import Candidates, Stage, Touchpoint, plan
from siyu.kit.crypto import PiiCipher
from siyu.kit.money import format_yuan
from siyu.kit.spreadsheet import defused

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Invite:
    """One customer to invite, where, and why."""

    rank: int
    customer_id: int
    tier: str
    stage: str
    score: float
    clv_fen: int | None
    p_alive: float | None
    expected_purchases_365d: float | None
    touchpoint: str
    cost_fen: int
    join_rate: float
    phone_masked: str


@dataclass(frozen=True)
class InviteReport:
    """The list and what it adds up to."""

    invites: list[Invite]
    candidates: int
    unreachable: int
    budget_fen: int

    @property
    def spent_fen(self) -> int:
        """What the list costs."""
        return sum(i.cost_fen for i in self.invites)

    @property
    def expected_joiners(self) -> float:
        """Joiners expected from the list."""
        return sum(i.join_rate for i in self.invites)


def _nan(value: object) -> float:
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def invite_list(
    session: Session,
    workspace_id: int,
    *,
    stage: Stage,
    budget_fen: int,
    now: datetime,
    touchpoints: dict[str, Touchpoint] | None = None,
    limit: int | None = None,
) -> InviteReport:
    """Rank buyers outside the pool and assign each a touchpoint, within the budget."""
    rows = repository.outside_buyers(session, workspace_id)
    opted_out = repository.sms_opt_outs(session, workspace_id)
    ids = np.array([r.customer_id for r in rows], dtype=np.int64)
    candidates = Candidates(
        customer_id=ids,
        n_purchases=np.array([r.n_purchases for r in rows], dtype=np.int64),
        clv_fen=np.array([_nan(r.clv_fen) for r in rows]),
        net_paid_fen=np.array([float(r.net_paid_fen) for r in rows]),
        p_alive=np.array([_nan(r.p_alive) for r in rows]),
        expected_purchases=np.array([_nan(r.expected_purchases_365d) for r in rows]),
        days_since_purchase=np.array([_nan(r.days_since_purchase) for r in rows]),
        days_to_next=np.array(
            [
                (r.next_purchase_at - now).total_seconds() / DAY_S if r.next_purchase_at else np.nan
                for r in rows
            ]
        ),
        has_phone=np.array([bool(r.has_phone) for r in rows], dtype=bool),
        sms_opt_out=np.array([int(i) in opted_out for i in ids], dtype=bool),
    )
    chosen = plan(
        candidates, stage=stage, budget_fen=budget_fen, touchpoints=touchpoints, limit=limit
    )
    picked = [rows[int(i)] for i in chosen.index]
    masked = repository.masked_phones(session, workspace_id, [r.customer_id for r in picked])
    invites = [
        Invite(
            rank=k + 1,
            customer_id=r.customer_id,
            tier=r.tier,
            stage=r.stage,
            score=round(float(chosen.score[k]), 4),
            clv_fen=r.clv_fen,
            p_alive=r.p_alive,
            expected_purchases_365d=r.expected_purchases_365d,
            touchpoint=chosen.touchpoint[k],
            cost_fen=int(chosen.cost_fen[k]),
            join_rate=float(chosen.join_rate[k]),
            phone_masked=masked.get(r.customer_id, ""),
        )
        for k, r in enumerate(picked)
    ]
    return InviteReport(invites, len(rows), chosen.skipped_unreachable, budget_fen)


CSV_HEADER = (
    "rank",
    "customer_id",
    "tier",
    "stage",
    "score",
    "clv_yuan",
    "p_alive",
    "expected_purchases_365d",
    "touchpoint",
    "cost_yuan",
    "join_rate",
    "phone",
)


def to_csv(
    session: Session,
    workspace_id: int,
    report: InviteReport,
    *,
    cipher: PiiCipher | None = None,
) -> str:
    """The list as CSV for the shop's tools (UTF-8 with BOM for Excel).

    Phones are masked unless a cipher is given: then the phone and platform buyer ids are
    decrypted for the SMS or shop tool that needs them (an explicit, logged choice).
    """
    clear: dict[int, list[tuple[str, str, bytes]]] = {}
    if cipher is not None:
        clear = repository.phones_and_buyer_ids(
            session, workspace_id, [i.customer_id for i in report.invites]
        )
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    header = list(CSV_HEADER) + (["buyer_ids"] if cipher is not None else [])
    writer.writerow(header)
    for i in report.invites:
        phone = i.phone_masked
        extra: list[str] = []
        if cipher is not None:
            ids = clear.get(i.customer_id, [])
            phones = [cipher.decrypt(b) for k, _, b in ids if k == "phone"]
            phone = phones[0] if phones else ""
            extra = [" ".join(f"{p}:{cipher.decrypt(b)}" for k, p, b in ids if k != "phone")]
        writer.writerow(
            defused(
                [
                    i.rank,
                    i.customer_id,
                    i.tier,
                    i.stage,
                    f"{i.score:.4f}",
                    ""
                    if i.clv_fen is None
                    else format_yuan(i.clv_fen).lstrip("¥").replace(",", ""),
                    "" if i.p_alive is None else f"{i.p_alive:.3f}",
                    "" if i.expected_purchases_365d is None else f"{i.expected_purchases_365d:.2f}",
                    i.touchpoint,
                    f"{i.cost_fen / 100:.2f}",
                    f"{i.join_rate:.2f}",
                    phone,
                    *extra,
                ]
            )
        )
    return out.getvalue()
