"""Key rotation on a live store: batches, resumption, look-ups that never miss."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers.service import search
from siyu.db.engine import make_session_factory
from siyu.keyring import service
from siyu.keyring.repository import ENCRYPTED
from siyu.kit.crypto import PiiCipher, decode_key, generate_key, key_id_of
from siyu.models import Customer, Identity, Order, Workspace
from siyu.orders.service import import_orders
from tests.fixtures.exports import write_taobao_csv

pytestmark = pytest.mark.committed


class StopRotationError(Exception):
    pass


def _store(session: Session, cipher: PiiCipher, folder: Path) -> tuple[int, Path]:
    workspace = Workspace(slug="rotate", name="Rotate")
    session.add(workspace)
    session.flush()
    export = write_taobao_csv(folder)
    import_orders(session, workspace_id=workspace.id, cipher=cipher, path=export)
    session.commit()
    return workspace.id, export


def test_rotation_moves_every_value_and_look_ups_work_throughout(
    session: Session, tmp_path: Path
) -> None:
    old, new = decode_key(generate_key()), decode_key(generate_key())
    workspace_id, export = _store(session, PiiCipher(old), tmp_path)
    buyer = search(session, workspace_id, PiiCipher(old), "19900001111")
    assert len(buyer) == 1
    ring = PiiCipher(keys={1: old, 2: new})
    sessions = make_session_factory(session.get_bind())
    identities = session.scalar(select(func.count()).select_from(Identity))

    # the new key writes at once; a re-import under the ring still finds everyone
    again = import_orders(session, workspace_id=workspace_id, cipher=ring, path=export)
    session.commit()
    assert again.created == 0
    assert session.scalar(select(func.count()).select_from(Identity)) == identities
    assert search(session, workspace_id, ring, "19900001111") == buyer

    # interrupted after the first batch of identities: half old, half new, all found
    seen: list[tuple[str, int]] = []

    def stop_early(column: str, done: int, total: int) -> None:
        seen.append((column, done))
        if column == "identity.value_enc":
            raise StopRotationError

    with pytest.raises(StopRotationError):
        service.rotate(sessions, ring, batch=2, progress=stop_early)
    with sessions() as check:
        mixed = service.key_usage(check)["identity.value_enc"]
        assert mixed.get(1, 0) > 0 and mixed.get(2, 0) == 2
        assert search(check, workspace_id, ring, "19900001111") == buyer
        assert search(check, workspace_id, ring, "林小青") == buyer

    # run again: it resumes, and a further pass finds nothing left to do
    done = service.rotate(sessions, ring, batch=2)
    assert done.total > 0
    assert service.rotate(sessions, ring, batch=2).total == 0
    with sessions() as check:
        usage = service.key_usage(check)
        assert all(set(counts) <= {2} for counts in usage.values()), usage
        assert usage["orders.receiver_enc"] == {2: check.scalar(
            select(func.count()).where(Order.receiver_enc.is_not(None)))}  # fmt: skip
        # the old key can go: the new one alone reads everything and finds everyone
        alone = PiiCipher(new, key_id=2)
        for blob in check.scalars(select(Identity.value_enc)):
            assert key_id_of(blob) == 2 and alone.decrypt(blob)
        for blob in check.scalars(select(Customer.name_enc).where(Customer.name_enc.is_not(None))):
            alone.decrypt(blob)
        assert search(check, workspace_id, alone, "19900001111") == buyer
        assert search(check, workspace_id, alone, "林小青") == buyer
        assert search(check, workspace_id, PiiCipher(old), "19900001111") == []
    assert ("customer.name_enc", 2) in seen


def test_every_binary_column_is_rotated() -> None:
    from sqlalchemy import LargeBinary

    from siyu.db.base import Base

    binary = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    }
    assert binary == {f"{t.table.name}.{t.column}" for t in ENCRYPTED}
