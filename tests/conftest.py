"""Shared fixtures: both databases (SQLite file and a real PostgreSQL), a key, a workspace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siyu.db.engine import make_engine
from siyu.db.migrate import upgrade
from siyu.kit.crypto import PiiCipher, decode_key, generate_key
from siyu.models import Workspace
from tests.pgserver import PostgresServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pii_key() -> str:
    return generate_key()


@pytest.fixture(scope="session")
def cipher(pii_key: str) -> PiiCipher:
    return PiiCipher(decode_key(pii_key))


def _migrated(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated store on each backend, shared by the tests of one worker."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'siyu.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("pg_server")
        url = server.create_database(f"siyu_{uuid.uuid4().hex[:8]}")
    built = _migrated(url)
    yield built
    built.dispose()


@pytest.fixture
def session(engine: Engine, request: pytest.FixtureRequest) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Tests marked `committed` get `committed_session` instead.
    """
    if request.node.get_closest_marker("committed"):
        yield request.getfixturevalue("committed_session")
        return
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def committed_session(
    engine: Engine, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Session]:
    """A session on a fresh store of `engine`'s backend whose commits are real.

    For code that reads the store through a connection of its own (the warehouse snapshot
    reads only committed data).
    """
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'committed.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("pg_server")
        url = server.create_database(f"committed_{uuid.uuid4().hex[:8]}")
    fresh = _migrated(url)
    db = Session(bind=fresh, expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        fresh.dispose()


@pytest.fixture
def workspace_id(session: Session) -> int:
    ws = Workspace(slug=f"ws-{uuid.uuid4().hex[:6]}", name="Test brand")
    session.add(ws)
    session.flush()
    return ws.id


@pytest.fixture
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, unmigrated store URL on the backend named by the test's `backend` param."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"fresh_{uuid.uuid4().hex[:8]}")
