"""The audit log on a real store: appends chain, the database refuses edits, tampering is caught.

Tamper tests go around the triggers the way someone with the database owner's password
would (dropping or disabling them), then change, delete or reorder rows in raw SQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from siyu.audit import service
from siyu.audit.repository import AuditFilter
from siyu.audit.rules import Action, Target
from siyu.db.engine import unit_of_work

pytestmark = pytest.mark.committed


def _fill(session: Session, n: int) -> None:
    for i in range(n):
        service.record(
            session, f"user:{i % 3}", Action.EXPORT, Target("export", "customers"),
            {"format": "csv", "rows": i}, workspace_id=1,
        )  # fmt: skip
    session.commit()


def _engine(session: Session) -> Engine:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    return engine


def _raw(engine: Engine, *statements: str) -> None:
    """Run SQL with the append-only triggers out of the way."""
    with engine.begin() as conn:
        pg = engine.dialect.name == "postgresql"
        if pg:
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER audit_entry_no_update"))
            conn.execute(text("DROP TRIGGER audit_entry_no_delete"))
        for statement in statements:
            conn.execute(text(statement))
        if pg:
            conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))


def test_entries_chain_and_verify(committed_session: Session) -> None:
    _fill(committed_session, 6)
    verdict = service.verify(committed_session)
    assert verdict.ok and verdict.checked == 6 and verdict.last_id == 6
    rows, total = service.search(committed_session, AuditFilter(actor="user:1"))
    assert total == 2 and [r.id for r in rows] == [5, 2]
    assert rows[0].details == {"format": "csv", "rows": 4}


def test_the_database_refuses_update_and_delete(committed_session: Session) -> None:
    _fill(committed_session, 2)
    engine = _engine(committed_session)
    for statement in ("UPDATE audit_entry SET actor = 'x' WHERE id = 1",
                      "DELETE FROM audit_entry WHERE id = 2",
                      "DELETE FROM audit_head"):  # fmt: skip
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert service.verify(committed_session).ok


@pytest.mark.parametrize(
    ("statements", "broken", "reason"),
    [
        (["UPDATE audit_entry SET actor = 'user:9' WHERE id = 3"], 3, "audit.broken_hash"),
        (["UPDATE audit_entry SET details = '{\"format\": \"xlsx\", \"rows\": 3}' WHERE id = 4"],
         4, "audit.broken_hash"),
        (["DELETE FROM audit_entry WHERE id = 2"], 2, "audit.gap"),
        (["DELETE FROM audit_entry WHERE id = 5"], 5, "audit.truncated"),
        # Reorder: entries 2 and 3 swap places (ids kept in sequence, contents moved).
        (["UPDATE audit_entry SET id = 100 WHERE id = 2",
          "UPDATE audit_entry SET id = 2 WHERE id = 3",
          "UPDATE audit_entry SET id = 3 WHERE id = 100"], 2, "audit.broken_link"),
    ],
)  # fmt: skip
def test_tampering_is_caught(
    committed_session: Session, statements: list[str], broken: int, reason: str
) -> None:
    _fill(committed_session, 5)
    _raw(_engine(committed_session), *statements)
    verdict = service.verify(committed_session)
    assert (verdict.ok, verdict.broken_id, verdict.reason) == (False, broken, reason)


def test_personal_data_never_reaches_the_log(committed_session: Session) -> None:
    with pytest.raises(ValueError, match="personal data"):
        service.record(committed_session, "system", Action.REVEAL, details={"v": "13812345678"})
    committed_session.rollback()
    assert service.verify(committed_session).checked == 0


WRITERS, EACH = 6, 15


def test_parallel_writers_never_fork_the_chain(committed_session: Session) -> None:
    """Writers on their own connections, released together: one chain, every entry in it."""
    engine = _engine(committed_session)
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        start.wait()
        for i in range(EACH):
            with unit_of_work(lambda: Session(bind=engine)) as session:  # type: ignore[arg-type,return-value]
                session.execute(text("SELECT 1"))  # a read first, as requests do
                service.record(session, f"user:{n}", Action.LOGIN, Target("user", n),
                               {"i": i}, workspace_id=1)  # fmt: skip

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))
    verdict = service.verify(committed_session)
    assert verdict.ok and verdict.checked == WRITERS * EACH
    _, total = service.search(committed_session, AuditFilter(action="auth.login"), limit=1)
    assert total == WRITERS * EACH
