"""One seeded store per test module for the API: users of every role, API keys, a few orders."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from siyu.accounts import service as accounts
from siyu.accounts.rules import Role
from siyu.app import create_app
from siyu.config import Settings
from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade
from siyu.engage.campaigns import service as campaigns
from siyu.engage.campaigns.schemas import CampaignCreate
from siyu.engage.tasks import service as tasks
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.models import Contact, Order, StaffAccount, StaffTask
from siyu.orders.service import import_orders
from siyu.segments import service as segments
from siyu.segments.schemas import SegmentCreate
from siyu.store import Store
from siyu.webhooks import rules as webhook_rules
from siyu.workspaces import service as workspaces
from tests.fixtures.exports import sample_orders, write_taobao_csv
from tests.pgserver import PostgresServer

PASSWORD = "correct horse battery"
ROLES = [r.value for r in Role]


@dataclass
class World:
    """A seeded store and what a test needs to reach it."""

    store: Store
    app: FastAPI
    workspace_id: int
    keys: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name: key, prefix, secret
    staff_customer: int = 0
    other_customer: int = 0
    own_task: int = 0
    other_task: int = 0
    sessions: dict[str, tuple[TestClient, str]] = field(default_factory=dict)

    def client(self, **kwargs: Any) -> TestClient:
        """A fresh client (its own cookies)."""
        return TestClient(self.app, **kwargs)

    def login(self, role: str, *, fresh: bool = False) -> tuple[TestClient, str]:
        """A client logged in as the user of this role, and its CSRF token (reused unless fresh)."""
        if not fresh and role in self.sessions:
            return self.sessions[role]
        client = self.client()
        log_in(client, role, PASSWORD)
        csrf = client.get("/api/v1/me").json()["csrf_token"]
        if not fresh:
            self.sessions[role] = (client, csrf)
        return client, csrf

    def key_client(self, name: str) -> TestClient:
        """A client that sends this API key."""
        return self.client(headers={"Authorization": f"Bearer {self.keys[name][0]}"})


def log_in(client: TestClient, username: str, password: str) -> Any:
    """Post the login form the way a browser does (with its anti-CSRF token)."""
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token is not None
    return client.post(
        "/login",
        data={"username": username, "password": password, "login_token": token.group(1)},
        follow_redirects=False,
    )


def sign_headers(world: World, key: str, body: bytes, **overrides: str) -> dict[str, str]:
    """Headers of a correctly signed webhook delivery for this key (overrides applied)."""
    _, prefix, secret = world.keys[key]
    timestamp = overrides.pop("timestamp", str(int(time.time())))
    delivery = overrides.pop("delivery", uuid.uuid4().hex)
    headers = {
        webhook_rules.KEY_HEADER: prefix,
        webhook_rules.TIMESTAMP_HEADER: timestamp,
        webhook_rules.DELIVERY_HEADER: delivery,
        webhook_rules.SIGNATURE_HEADER: webhook_rules.sign(
            secret.encode(), timestamp, delivery, body
        ),
        "Content-Type": "application/json",
    }
    return headers | overrides


def order_event(order_id: str, **changes: Any) -> dict[str, Any]:
    """An order event as a shop integration sends it."""
    event: dict[str, Any] = {
        "event": "order.paid",
        "shop": "mini_shop",
        "platform": "mini_program",
        "order_id": order_id,
        "status": "paid",
        "ordered_at": "2026-03-01T10:00:00+08:00",
        "paid_at": "2026-03-01T10:01:00+08:00",
        "phone": "13900000001",
        "unionid": f"u-{order_id}",
        "lines": [{"sku": "TEA-1", "name": "龙井", "quantity": 2, "amount_fen": 12800}],
    }
    return event | changes


def post_event(world: World, client: TestClient, event: dict[str, Any], key: str = "webhook",
               **overrides: str) -> Any:  # fmt: skip
    """Sign and post an order event."""
    body = json.dumps(event).encode()
    return client.post(
        "/api/v1/webhooks/orders", content=body, headers=sign_headers(world, key, body, **overrides)
    )


def seed(store: Store, home: Path) -> World:
    """Users of every role, keys with various scopes, imported orders, a staff contact."""
    world = World(store, create_app(store), 0)
    with unit_of_work(store.sessions) as session:
        ws = workspaces.ensure(session, "demo")
        world.workspace_id = ws.id
        staff = StaffAccount(workspace_id=ws.id, code="cs01", name="客服一号")
        session.add(staff)
        session.flush()
        for role in ROLES:
            accounts.create_user(
                session, ws.id, username=role, password=PASSWORD, role=Role(role),
                staff_code="cs01" if role == "customer_service" else "",
            )  # fmt: skip
        for name, scopes in (
            (
                "all",
                "overview:read customers:read orders:read imports:read imports:write export "
                "loyalty:read loyalty:write loyalty:manage "
                "engage:read engage:write privacy:manage",
            ),
            ("customers", "customers:read"),
            ("webhook", "orders:write"),
            ("webhook_readonly", "orders:read"),
        ):
            made = accounts.create_api_key(session, ws.id, store.cipher, name=name, scopes=scopes)
            world.keys[name] = (made.key, made.row.prefix, made.signing_secret)
        result = import_orders(
            session, workspace_id=ws.id, cipher=store.cipher, path=write_taobao_csv(home),
            rejects_dir=home / "rejects",
        )  # fmt: skip
        assert result.accepted == 5, result.rejects
        customers = sorted(set(session.scalars(select(Order.customer_id)).all()) - {None})
        world.staff_customer, world.other_customer = customers[0], customers[1]
        session.add(
            Contact(
                workspace_id=ws.id, customer_id=world.staff_customer, carrier="wecom",
                carrier_ref="cs01", staff_account_id=staff.id,
                joined_at=sample_orders()[0].ordered_at,
            )
        )  # fmt: skip
        seed_engage(session, world, staff.id)
    return world


def seed_engage(session: Session, world: World, staff_id: int) -> None:
    """A segment, a draft campaign to it, and today's tasks of two staff accounts (cs01's on
    the customer it serves, cs02's on the other)."""
    ws = world.workspace_id
    segments.create_segment(session, ws, SegmentCreate(code="buyers", rule="n_purchases >= 0"))
    campaigns.create_campaign(session, ws, CampaignCreate.model_validate({
        "code": "spring", "segment": "buyers", "channel": "wecom",
        "send_at": "2030-06-20T10:00:00+08:00", "variants": [{"content": {"text": "春季新品"}}],
    }))  # fmt: skip
    other = StaffAccount(workspace_id=ws, code="cs02", name="客服二号")
    session.add(other)
    session.flush()
    day = tasks.today(session, ws, utcnow())
    for staff, customer in ((staff_id, world.staff_customer), (other.id, world.other_customer)):
        session.add(StaffTask(
            workspace_id=ws, staff_account_id=staff, customer_id=customer, day=day,
            reason="due_repurchase", script="该回购了", products=[], expected_value_fen=1200.0,
            rank=1,
        ))  # fmt: skip
    session.flush()
    world.own_task, world.other_task = session.scalars(
        select(StaffTask.id).where(StaffTask.workspace_id == ws).order_by(StaffTask.id)
    ).all()


def open_test_store(url: str, home: Path, cipher: PiiCipher) -> Store:
    """A migrated store on `url` with settings pointing at `home`."""
    engine: Engine = make_engine(url)
    upgrade(engine)
    # Many log-ins from one test client: the per-address log-in limit is tested on its own.
    settings = Settings(home=home, database_url=url, locale="zh-CN", environment="test",
                        rate_login_per_minute=10_000)  # fmt: skip
    return Store(settings, engine, make_session_factory(engine), cipher)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, cipher: PiiCipher) -> Iterator[World]:
    """The seeded SQLite world shared by a module's tests."""
    home = tmp_path_factory.mktemp("api")
    store = open_test_store(f"sqlite:///{home / 'siyu.db'}", home, cipher)
    try:
        yield seed(store, home)
    finally:
        store.close()


@pytest.fixture(scope="module")
def pg_world(
    tmp_path_factory: pytest.TempPathFactory, cipher: PiiCipher, pg_server: PostgresServer
) -> Iterator[World]:
    """The same world on PostgreSQL."""
    home = tmp_path_factory.mktemp("api_pg")
    url = pg_server.create_database(f"api_{uuid.uuid4().hex[:8]}")
    store = open_test_store(url, home, cipher)
    try:
        yield seed(store, home)
    finally:
        store.close()
