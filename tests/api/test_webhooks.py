"""The order webhook: signed, fresh, never replayed; the order goes through identity resolution."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid

import pytest

from siyu.accounts.service import signing_cache
from tests.api.conftest import World, order_event, post_event, sign_headers
from tests.fixtures.exports import sample_orders


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_world(request: pytest.FixtureRequest) -> World:
    """The seeded world on each backend."""
    return request.getfixturevalue("world" if request.param == "sqlite" else "pg_world")


def _new_id() -> str:
    return f"MP{uuid.uuid4().hex[:12]}"


def test_a_signed_event_creates_the_order_and_resolves_the_customer(any_world: World) -> None:
    known = next(o for o in sample_orders() if o.phone and "*" not in o.phone)
    reader = any_world.key_client("all")
    before = reader.get("/api/v1/customers", params={"q": known.phone}).json()["items"]
    assert len(before) == 1
    event = order_event(_new_id(), phone=known.phone, unionid="")
    response = post_event(any_world, any_world.client(), event)
    assert response.status_code == 200, response.text
    accepted = response.json()
    assert accepted["outcome"] == "created"
    assert accepted["customer_id"] == before[0]["id"]  # the same person as the Taobao buyer
    orders = reader.get(f"/api/v1/customers/{accepted['customer_id']}/orders").json()["items"]
    stored = next(o for o in orders if o["platform_order_id"] == event["order_id"])
    assert stored["domain"] == "private" and stored["paid_fen"] == 12800
    assert stored["lines"][0]["quantity"] == 2


def test_resending_is_idempotent_and_a_new_status_updates(any_world: World) -> None:
    event = order_event(_new_id())
    first = post_event(any_world, any_world.client(), event).json()
    again = post_event(any_world, any_world.client(), event).json()
    assert (first["outcome"], again["outcome"]) == ("created", "unchanged")
    assert again["order_id"] == first["order_id"]
    refunded = order_event(event["order_id"], status="completed", event="order.refunded",
                           refunded_fen=6400, refunded_at="2026-03-05T10:00:00+08:00")  # fmt: skip
    changed = post_event(any_world, any_world.client(), refunded).json()
    assert changed["outcome"] == "updated" and changed["order_id"] == first["order_id"]
    order = (
        any_world.key_client("all")
        .get("/api/v1/orders", params={"customer_id": first["customer_id"]})
        .json()["items"]
    )
    assert next(o for o in order if o["id"] == first["order_id"])["refunded_fen"] == 6400


def test_a_replayed_delivery_is_refused(any_world: World) -> None:
    event = order_event(_new_id())
    delivery = uuid.uuid4().hex
    assert post_event(any_world, any_world.client(), event, delivery=delivery).status_code == 200
    replay = post_event(any_world, any_world.client(), event, delivery=delivery)
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "webhook.replayed"


@pytest.mark.parametrize("skew", [-330, 330])  # margin for a slow machine
def test_a_stale_or_future_timestamp_is_refused(world: World, skew: int) -> None:
    response = post_event(world, world.client(), order_event(_new_id()),
                          timestamp=str(int(time.time()) + skew))  # fmt: skip
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "webhook.stale"


def test_a_tampered_body_or_wrong_secret_is_refused(world: World) -> None:
    body = json.dumps(order_event(_new_id())).encode()
    headers = sign_headers(world, "webhook", body)
    tampered = body.replace(b"12800", b"1")
    response = world.client().post("/api/v1/webhooks/orders", content=tampered, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "webhook.signature"
    other = sign_headers(world, "all", body, **{"X-Siyu-Key": world.keys["webhook"][1]})
    wrong = world.client().post("/api/v1/webhooks/orders", content=body, headers=other)
    assert wrong.status_code == 401
    unknown = sign_headers(world, "webhook", body, **{"X-Siyu-Key": "siyu_00000000"})
    assert world.client().post("/api/v1/webhooks/orders", content=body,
                               headers=unknown).status_code == 401  # fmt: skip


def test_missing_headers_are_named(world: World) -> None:
    response = world.client().post(
        "/api/v1/webhooks/orders", json=order_event(_new_id()), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "webhook.unsigned" and "X-Siyu-Signature" in error["message"]


def test_signature_is_checked_before_the_body_is_validated(world: World) -> None:
    response = world.client().post("/api/v1/webhooks/orders", json={"anything": 1})
    assert response.status_code == 401


def test_an_unusable_event_is_422_and_stores_nothing(world: World) -> None:
    no_identity = order_event(_new_id(), phone="138****0000", unionid="")
    response = post_event(world, world.client(), no_identity)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "webhook.order_invalid"
    refund_too_big = order_event(_new_id(), refunded_fen=10**9)
    assert post_event(world, world.client(), refund_too_big).status_code == 422
    naive = order_event(_new_id(), ordered_at="2026-03-01T10:00:00")
    invalid = post_event(world, world.client(), naive)
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "request.invalid"
    orders = world.key_client("all").get("/api/v1/orders?per_page=500").json()["items"]
    assert no_identity["order_id"] not in {o["platform_order_id"] for o in orders}


def test_a_rotated_secret_may_be_sent_beside_the_old(world: World) -> None:
    body = json.dumps(order_event(_new_id())).encode()
    headers = sign_headers(world, "webhook", body)
    headers["X-Siyu-Signature"] = f"v1={'0' * 64}, {headers['X-Siyu-Signature']}"
    response = world.client().post("/api/v1/webhooks/orders", content=body, headers=headers)
    assert response.status_code == 200


def test_a_delivery_waiting_for_the_writer_holds_no_connection(world: World) -> None:
    """A burst of deliveries must not drain the pool the writer needs (it once did: each
    waiting request kept the connection its signature check had used)."""
    signing_cache.clear()  # the check reads the key from the store
    database = world.store.engine.url.database
    assert database is not None
    blocker = sqlite3.connect(database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the writer will wait for this write lock
    replies: list[int] = []
    sender = threading.Thread(
        target=lambda: replies.append(post_event(world, world.client(), order_event(_new_id()))
                                      .status_code)
    )  # fmt: skip
    try:
        sender.start()
        held: list[int] = []  # connections checked out while the delivery is pending
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            held.append(world.store.engine.pool.checkedout())
            time.sleep(0.01)
        # the check's connection, then the writer's (waiting for the lock), never both
        assert max(held) == 1 and held[-1] == 1
        assert sender.is_alive() and not replies
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        sender.join(timeout=30)
    assert replies == [200]
