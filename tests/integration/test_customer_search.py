"""Finding a customer without decrypting anyone: blind indexes, exact names, staff scoping."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from siyu.customers import repository
from siyu.customers.rules import NAME_INDEX_KIND, identifier
from siyu.customers.service import IdentityResolver, ResolveRequest, index_names, search
from siyu.kit.crypto import PiiCipher
from siyu.models import Contact, Customer, StaffAccount
from siyu.models.enums import IdentityKind

SEEN = datetime(2026, 1, 1, tzinfo=UTC)


def _resolve(session: Session, ws: int, cipher: PiiCipher, *keys: tuple[IdentityKind, str, str],
             name: str | None = None) -> int:  # fmt: skip
    identifiers = tuple(k for kind, raw, p in keys if (k := identifier(kind, raw, platform=p)))
    resolver = IdentityResolver(session, ws, cipher, source="test")
    found = resolver.resolve([ResolveRequest(identifiers, SEEN, "t", name)])[0]
    assert found is not None
    return found


def test_search_by_every_kind_of_identifier(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    a = _resolve(session, workspace_id, cipher, (IdentityKind.PHONE, "13800138000", ""),
                 (IdentityKind.PLATFORM_BUYER, "jd_buyer_1", "jd"), name="王小明")  # fmt: skip
    b = _resolve(session, workspace_id, cipher, (IdentityKind.UNIONID, "oUnion-1", ""),
                 (IdentityKind.EMAIL, "Li@Example.com", ""))  # fmt: skip
    assert search(session, workspace_id, cipher, "138-0013-8000") == [a]
    assert search(session, workspace_id, cipher, "jd_buyer_1") == [a]
    assert search(session, workspace_id, cipher, "王小明") == [a]
    assert search(session, workspace_id, cipher, "oUnion-1") == [b]
    assert search(session, workspace_id, cipher, "li@example.com") == [b]
    assert a in search(session, workspace_id, cipher, f"#{a}")
    assert search(session, workspace_id, cipher, "王小") == []
    assert search(session, workspace_id + 1000, cipher, "13800138000") == []


def test_names_stored_before_the_index_get_one(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    old = Customer(workspace_id=workspace_id, name_enc=cipher.encrypt("Zhang  San"))
    session.add(old)
    session.flush()
    assert index_names(session, cipher) >= 1
    session.refresh(old)
    assert old.name_index == cipher.blind_index(NAME_INDEX_KIND, "zhang san")
    assert search(session, workspace_id, cipher, "zhang san") == [old.id]


def test_staff_see_their_current_contacts(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    staff = StaffAccount(workspace_id=workspace_id, code="s1", name="s1")
    session.add(staff)
    session.flush()
    mine = _resolve(session, workspace_id, cipher, (IdentityKind.PHONE, "13900000001", ""))
    gone = _resolve(session, workspace_id, cipher, (IdentityKind.PHONE, "13900000002", ""))
    _resolve(session, workspace_id, cipher, (IdentityKind.PHONE, "13900000003", ""))
    session.add_all([
        Contact(workspace_id=workspace_id, customer_id=mine, carrier="wecom",
                staff_account_id=staff.id, joined_at=SEEN),
        Contact(workspace_id=workspace_id, customer_id=gone, carrier="wecom",
                staff_account_id=staff.id, joined_at=SEEN, left_at=SEEN),
    ])  # fmt: skip
    session.flush()
    rows, total = repository.list_customers(session, workspace_id, staff_account_id=staff.id)
    assert total == 1 and [r[0] for r in rows] == [mine]
    assert rows[0][2] == "139****0001"  # the masked phone is what lists show
    assert repository.is_served_by(session, mine, staff.id)
    assert not repository.is_served_by(session, gone, staff.id)
