"""Deterministic identity resolution: matching identifiers merge, and merges are explained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers.rules import IdentifierKey
from siyu.customers.service import IdentityResolver, ResolveRequest, explain_customer
from siyu.kit.crypto import PiiCipher
from siyu.models import Customer, CustomerMerge, Identity

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PHONE = IdentifierKey("phone", "", "19900001111")
TB = IdentifierKey("platform_buyer", "taobao", "tb_alice")
JD = IdentifierKey("platform_buyer", "jd", "jd_alice")
UNION = IdentifierKey("unionid", "", "oUabcdefghijklmnopqrstuvwxyz")


def _resolver(session: Session, workspace_id: int, cipher: PiiCipher) -> IdentityResolver:
    return IdentityResolver(session, workspace_id, cipher, source="test")


def _req(*keys: IdentifierKey, days: int = 0, label: str = "order X") -> ResolveRequest:
    return ResolveRequest(keys, T0 + timedelta(days=days), label)


def test_same_identifier_is_one_customer(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    ids = _resolver(session, workspace_id, cipher).resolve([_req(TB), _req(TB, days=3)])
    again = _resolver(session, workspace_id, cipher).resolve([_req(TB, days=9)])
    assert ids[0] == ids[1] == again[0]
    assert session.scalar(select(func.count()).select_from(Customer)) == 1


def test_records_sharing_a_new_identifier_in_one_batch_join(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    ids = _resolver(session, workspace_id, cipher).resolve(
        [_req(TB, PHONE), _req(JD, PHONE, days=5), _req(UNION)]
    )
    assert ids[0] == ids[1] != ids[2]
    kinds = session.scalars(
        select(Identity.kind).where(Identity.customer_id == ids[0]).order_by(Identity.kind)
    ).all()
    assert kinds == ["phone", "platform_buyer", "platform_buyer"]


def test_bridging_record_merges_two_customers_and_explains_why(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    resolver = _resolver(session, workspace_id, cipher)
    tb_id, jd_id = resolver.resolve([_req(TB, days=10), _req(JD, PHONE, days=2)])
    assert tb_id != jd_id
    (merged,) = _resolver(session, workspace_id, cipher).resolve(
        [_req(TB, PHONE, days=20, label="order 9001")]
    )
    winner, loser = min(tb_id, jd_id), max(tb_id, jd_id)
    assert merged == winner
    assert session.get(Customer, loser) is None
    owners = set(session.scalars(select(Identity.customer_id)).all())
    assert owners == {winner}
    customer = session.get(Customer, winner)
    assert customer is not None and customer.first_seen_at == T0 + timedelta(days=2)
    merge = session.scalars(select(CustomerMerge)).one()
    assert (merge.winner_id, merge.loser_id) == (winner, loser)
    (explained,) = explain_customer(session, workspace_id, winner)
    assert "order 9001" in explained["en"] and "199****1111" in explained["en"]
    assert "合并" in explained["zh-CN"]
    assert "19900001111" not in explained["en"]


def test_identities_are_encrypted_and_found_by_blind_index(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    _resolver(session, workspace_id, cipher).resolve([_req(PHONE)])
    identity = session.scalars(select(Identity)).one()
    assert b"19900001111" not in identity.value_enc
    assert "19900001111" not in identity.blind_index
    assert identity.masked == "199****1111"
    assert cipher.decrypt(identity.value_enc) == "19900001111"


def test_workspaces_never_share_customers(session: Session, cipher: PiiCipher) -> None:
    from siyu.workspaces.service import ensure

    a = ensure(session, "brand-a").id
    b = ensure(session, "brand-b").id
    (in_a,) = _resolver(session, a, cipher).resolve([_req(PHONE)])
    (in_b,) = _resolver(session, b, cipher).resolve([_req(PHONE)])
    assert in_a != in_b
    assert session.scalar(select(Customer.workspace_id).where(Customer.id == in_b)) == b
