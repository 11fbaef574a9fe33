"""Migration 0011 folds `wecom_outbox` into the general outbox: pending tag and batch calls
move over as `wecom` messages of the customers they were for; welcomes (long expired) and
finished rows do not; the table is gone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from siyu.config import get_settings
from siyu.customers.rules import identifier
from siyu.customers.service import IdentityResolver, ResolveRequest
from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import alembic_config, upgrade
from siyu.kit.crypto import PiiCipher
from siyu.models import OutboxMessage, StaffAccount, Workspace
from siyu.models.enums import IdentityKind


def test_pending_wecom_calls_move_to_the_general_outbox(
    tmp_path: Path, pii_key: str, cipher: PiiCipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    now = datetime.now(UTC)
    with unit_of_work(make_session_factory(engine)) as s:
        ws = Workspace(slug="demo", name="brand")
        s.add(ws)
        s.flush()
        s.add(StaffAccount(workspace_id=ws.id, code="wecom_a", name="a"))
        resolver = IdentityResolver(s, ws.id, cipher, source="wecom")
        key = identifier(IdentityKind.EXTERNAL_USERID, "wmMoved")
        assert key is not None
        (customer_id,) = resolver.resolve([ResolveRequest((key,), now, "test", None)])
        payloads = [
            ("tag", "pending", {"userid": "wecom_a", "external_userid": "wmMoved",
                                "add_tag": ["etA"]}),
            ("template", "pending", {"sender": "wecom_a", "text": "新品上市",
                                     "external_userids": ["wmMoved", "wmUnknown"]}),
            ("welcome", "pending", {"welcome_code": "W", "text": "hi",
                                    "event_at": now.isoformat()}),
            ("tag", "sent", {"userid": "wecom_a", "external_userid": "wmMoved", "add_tag": []}),
        ]  # fmt: skip
        for kind, status, payload in payloads:
            s.execute(
                text(
                    "INSERT INTO wecom_outbox (workspace_id, kind, payload_enc, status, attempts, "
                    "created_at, next_attempt_at, last_error) VALUES "
                    "(:w, :k, :p, :s, 0, :t, :t, '')"
                ),
                {"w": ws.id, "k": kind, "p": cipher.encrypt(json.dumps(payload)), "s": status,
                 "t": now.isoformat()},
            )  # fmt: skip
    monkeypatch.setenv("SIYU_PII_KEY", pii_key)
    get_settings.cache_clear()
    try:
        upgrade(engine)
    finally:
        get_settings.cache_clear()
    assert "wecom_outbox" not in inspect(engine).get_table_names()
    with unit_of_work(make_session_factory(engine)) as s:
        moved = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        staff_id = s.scalar(select(StaffAccount.id))
    assert [(m.channel, m.customer_id, m.staff_account_id, m.payload, m.status) for m in moved] == [
        ("wecom", customer_id, staff_id, {"kind": "tag", "add_tag": ["etA"]}, "pending"),
        ("wecom", customer_id, staff_id, {"kind": "text", "text": "新品上市"}, "pending"),
    ]
    assert moved[0].next_attempt_at <= datetime.now(UTC)
    engine.dispose()
