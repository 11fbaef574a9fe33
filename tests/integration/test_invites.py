"""Invite lists from published profiles on both databases, and their CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from siyu.customers.rules import identifier
from siyu.customers.service import IdentityResolver, ResolveRequest
from siyu.invites.service import invite_list, to_csv
from siyu.kit.crypto import PiiCipher
from siyu.models import ConsentRecord
from siyu.models.enums import IdentityKind
from tests.fixtures import pool

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _buyer(
    session: Session, ws: int, cipher: PiiCipher, phone: str | None, **profile: object
) -> int:
    keys = [
        identifier(IdentityKind.PLATFORM_BUYER, f"tb_{phone or id(profile)}", platform="taobao")
    ]
    if phone:
        keys.append(identifier(IdentityKind.PHONE, phone))
    resolver = IdentityResolver(session, ws, cipher, source="test")
    request = ResolveRequest(tuple(k for k in keys if k is not None), NOW, "test")
    customer_id = resolver.resolve([request])[0]
    assert customer_id is not None
    pool.profile(session, workspace_id=ws, customer_id=customer_id, **profile)  # type: ignore[arg-type]
    return customer_id


def test_invite_list_ranks_reaches_and_exports(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    ws = workspace_id
    loyal = _buyer(
        session,
        ws,
        cipher,
        "13900000001",
        n_purchases=5,
        clv_fen=60_000,
        p_alive=0.9,
        expected=3.0,
        days_since=20.0,
        tier="multi_repeat",
    )
    soon = _buyer(
        session,
        ws,
        cipher,
        None,
        n_purchases=2,
        clv_fen=30_000,
        p_alive=0.7,
        expected=1.5,
        next_at=NOW + timedelta(days=10),
        tier="repeat",
    )
    opted_out = _buyer(
        session,
        ws,
        cipher,
        "13900000003",
        n_purchases=3,
        clv_fen=40_000,
        p_alive=0.8,
        expected=2.0,
        days_since=60.0,
        tier="repeat",
    )
    _buyer(
        session,
        ws,
        cipher,
        "13900000004",
        n_purchases=4,
        clv_fen=99_000,
        p_alive=0.9,
        expected=3.0,
        in_pool=True,
    )  # already in the pool: never invited
    fading = _buyer(
        session,
        ws,
        cipher,
        "13900000005",
        n_purchases=1,
        clv_fen=2_000,
        p_alive=0.05,
        expected=0.1,
        days_since=400.0,
    )
    session.add(
        ConsentRecord(
            workspace_id=ws,
            customer_id=opted_out,
            channel="sms",
            purpose="marketing",
            granted=False,
            source="unsubscribe",
            recorded_at=NOW - timedelta(days=3),
        )
    )
    session.flush()

    mature = invite_list(session, ws, stage="mature", budget_fen=10_000, now=NOW)
    assert [i.customer_id for i in mature.invites] == [loyal, soon]
    assert [i.touchpoint for i in mature.invites] == ["sms", "package_card"]
    assert mature.unreachable == 1  # opted out of SMS, no order expected, no recent chat
    assert mature.candidates == 4
    assert mature.invites[0].phone_masked == "139****0001"

    new = invite_list(session, ws, stage="new", budget_fen=10_000, now=NOW)
    assert fading in [i.customer_id for i in new.invites]
    tight = invite_list(session, ws, stage="new", budget_fen=5, now=NOW)
    assert len(tight.invites) == 1 and tight.spent_fen == 5

    masked = to_csv(session, ws, mature)
    rows = list(csv.reader(io.StringIO(masked.lstrip("\ufeff"))))
    assert rows[0][:3] == ["rank", "customer_id", "tier"]
    assert rows[1][11] == "139****0001" and "13900000001" not in masked
    clear = to_csv(session, ws, mature, cipher=cipher)
    rows = list(csv.reader(io.StringIO(clear.lstrip("\ufeff"))))
    assert rows[1][11] == "13900000001" and rows[1][12].startswith("taobao:tb_")


def test_no_profiles_yet(session: Session, workspace_id: int) -> None:
    report = invite_list(session, workspace_id, stage="growing", budget_fen=100, now=NOW)
    assert report.invites == [] and report.candidates == 0
