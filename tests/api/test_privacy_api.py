"""Data-subject requests over the API: export in clear for the person, erasure for good."""

from __future__ import annotations

from sqlalchemy import func, select

from siyu.db.engine import unit_of_work
from siyu.models import AuditEntry, Identity, Order
from tests.api.conftest import World


def test_export_gives_the_person_everything_in_clear(world: World) -> None:
    client = world.key_client("all")
    response = client.get(f"/api/v1/customers/{world.staff_customer}/data-export")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "siyu.data-subject-export/1"
    assert "19900001111" in {i["value"] for i in body["identities"]}
    orders = body["tables"]["orders"]
    assert orders and all("receiver_enc" not in o for o in orders)
    assert any("19900001111" in (o["receiver"] or []) for o in orders)
    assert body["tables"]["order_line"] and body["tables"]["contact"]
    assert all("blind_index" not in row for row in body["tables"]["identity"])
    missing = client.get("/api/v1/customers/999999/data-export", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "privacy.unknown_customer"


def test_erasure_removes_the_person_and_keeps_the_orders(world: World) -> None:
    client = world.key_client("all")
    with unit_of_work(world.store.sessions) as session:
        orders = session.scalar(select(func.count()).select_from(Order))
        paid = session.scalar(select(func.sum(Order.paid_fen)))
    customer = world.other_customer
    response = client.post(f"/api/v1/customers/{customer}/erasure")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer_id"] == customer and body["anonymous_id"] != customer
    assert body["rows"]["identity"] >= 1
    assert client.get(f"/api/v1/customers/{customer}").status_code == 404
    with unit_of_work(world.store.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == orders
        assert session.scalar(select(func.sum(Order.paid_fen))) == paid
        assert session.scalar(select(func.count()).where(Identity.customer_id == customer)) == 0
        kept = session.scalars(select(Order).where(Order.customer_id == body["anonymous_id"]))
        assert all(o.receiver_enc is None for o in kept)
        erased = session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.erase"))
        (entry,) = erased
        assert entry.target_id == str(customer) and entry.actor.startswith("api_key:")
        assert entry.details["anonymous_id"] == body["anonymous_id"]
    again = client.post(f"/api/v1/customers/{customer}/erasure")
    assert again.status_code == 404
    narrow = world.key_client("customers").post(f"/api/v1/customers/{customer}/erasure")
    assert narrow.status_code == 403 and narrow.json()["error"]["code"] == "auth.scope"
