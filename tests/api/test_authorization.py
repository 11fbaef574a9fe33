"""Every endpoint against every role, API-key scope and anonymous caller.

The expected permissions are written out here, independently of siyu.accounts.rules: a change
to who may do what has to change this table too. A new endpoint fails the coverage test until
it is added below.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import ROLES, World, order_event, post_event

ALL = set(ROLES)
READERS = {"admin", "operator", "analyst", "read_only"}

Request = Callable[[World], dict[str, Any]]


def _csv() -> dict[str, Any]:
    data = "sku,name,price\nSKU-X,测试商品,9.90\n".encode()
    return {
        "data": {"kind": "products"},
        "files": {"file": ("p.csv", io.BytesIO(data), "text/csv")},
    }


def _user(_: World) -> dict[str, Any]:
    return {"json": {"username": f"u{uuid.uuid4().hex[:8]}", "password": "a long password",
                     "role": "read_only"}}  # fmt: skip


# (method, path template, concrete path, who may, request builder, scope that grants it)
ENDPOINTS: list[tuple[str, str, Callable[[World], str], set[str], Request | None, str | None]] = [
    ("GET", "/api/v1/overview", lambda w: "/api/v1/overview", READERS, None, "overview:read"),
    ("GET", "/api/v1/overview/trend", lambda w: "/api/v1/overview/trend?grain=day", READERS,
     None, "overview:read"),
    ("GET", "/api/v1/overview/export", lambda w: "/api/v1/overview/export",
     {"admin", "operator", "analyst"}, None, "export"),
    ("GET", "/api/v1/overview/trend/export",
     lambda w: "/api/v1/overview/trend/export?grain=year&format=xlsx",
     {"admin", "operator", "analyst"}, None, "export"),
    ("GET", "/api/v1/customers", lambda w: "/api/v1/customers", ALL, None, "customers:read"),
    ("GET", "/api/v1/customers/export", lambda w: "/api/v1/customers/export?format=csv",
     {"admin", "operator", "analyst"}, None, "export"),
    ("GET", "/api/v1/customers/{customer_id}",
     lambda w: f"/api/v1/customers/{w.staff_customer}", ALL, None, "customers:read"),
    ("GET", "/api/v1/customers/{customer_id}/orders",
     lambda w: f"/api/v1/customers/{w.staff_customer}/orders", ALL, None, "orders:read"),
    ("GET", "/api/v1/orders", lambda w: "/api/v1/orders", ALL, None, "orders:read"),
    ("GET", "/api/v1/orders/export", lambda w: "/api/v1/orders/export?format=xlsx",
     {"admin", "operator", "analyst"}, None, "export"),
    ("POST", "/api/v1/imports", lambda w: "/api/v1/imports", {"admin", "operator"},
     lambda w: _csv(), "imports:write"),
    ("GET", "/api/v1/imports", lambda w: "/api/v1/imports", READERS, None, "imports:read"),
    ("GET", "/api/v1/imports/export", lambda w: "/api/v1/imports/export",
     {"admin", "operator", "analyst"}, None, "export"),
    ("GET", "/api/v1/imports/{batch_id}/rejects", lambda w: "/api/v1/imports/1/rejects",
     READERS, None, "imports:read"),
    ("GET", "/api/v1/imports/{batch_id}/rejects/export",
     lambda w: "/api/v1/imports/1/rejects/export", {"admin", "operator", "analyst"}, None,
     "export"),
    ("GET", "/api/v1/jobs/{job_id}", lambda w: "/api/v1/jobs/nope", READERS, None,
     "imports:read"),
    ("GET", "/api/v1/users", lambda w: "/api/v1/users", {"admin"}, None, None),
    ("POST", "/api/v1/users", lambda w: "/api/v1/users", {"admin"}, _user, None),
    ("PATCH", "/api/v1/users/{user_id}", lambda w: "/api/v1/users/999999", {"admin"},
     lambda w: {"json": {"active": True}}, None),
    ("GET", "/api/v1/api-keys", lambda w: "/api/v1/api-keys", {"admin"}, None, None),
    ("POST", "/api/v1/api-keys", lambda w: "/api/v1/api-keys", {"admin"},
     lambda w: {"json": {"name": "k", "scopes": ["customers:read"]}}, None),
    ("DELETE", "/api/v1/api-keys/{key_id}", lambda w: "/api/v1/api-keys/999999", {"admin"},
     None, None),
    ("GET", "/api/v1/customers/{customer_id}/data-export",
     lambda w: f"/api/v1/customers/{w.other_customer}/data-export", {"admin"}, None,
     "privacy:manage"),
    ("POST", "/api/v1/customers/{customer_id}/erasure",
     lambda w: "/api/v1/customers/999999/erasure", {"admin"}, None, "privacy:manage"),
]  # fmt: skip
OPEN = {("GET", "/api/v1/health"), ("GET", "/api/v1/me")}
SIGNED = {("POST", "/api/v1/webhooks/orders")}


def _call(world: World, client: Any, method: str, path: str, build: Request | None) -> Any:
    kwargs = build(world) if build else {}
    return client.request(method, path, **kwargs)


def test_every_endpoint_is_in_the_matrix(world: World) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in world.app.openapi()["paths"].items()
        for method in operations
    }
    covered = {(m, p) for m, p, *_ in ENDPOINTS} | OPEN | SIGNED
    assert routes == covered


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template", "path", "allowed", "build", "scope"), ENDPOINTS,
                         ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS])  # fmt: skip
def test_role_against_endpoint(
    world: World, role: str, method: str, template: str, path: Callable[[World], str],
    allowed: set[str], build: Request | None, scope: str | None,
) -> None:  # fmt: skip
    client, csrf = world.login(role)
    response = _call(world, client, method, path(world), build) if method == "GET" else (
        client.request(method, path(world), headers={"X-CSRF-Token": csrf},
                       **(build(world) if build else {}))
    )  # fmt: skip
    if role in allowed:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500
    else:
        assert response.status_code == 403, response.text
        body = response.json()["error"]
        assert body["code"] == "auth.forbidden"
        assert role in body["message"] or role in str(body)


@pytest.mark.parametrize(("method", "template", "path", "allowed", "build", "scope"), ENDPOINTS,
                         ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS])  # fmt: skip
def test_anonymous_gets_401(
    world: World, method: str, template: str, path: Callable[[World], str],
    allowed: set[str], build: Request | None, scope: str | None,
) -> None:  # fmt: skip
    response = _call(world, world.client(), method, path(world), build)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.required"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "template", "path", "allowed", "build", "scope"), ENDPOINTS,
                         ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS])  # fmt: skip
def test_api_keys_by_scope(
    world: World, method: str, template: str, path: Callable[[World], str],
    allowed: set[str], build: Request | None, scope: str | None,
) -> None:  # fmt: skip
    full = _call(world, world.key_client("all"), method, path(world), build)
    narrow = _call(world, world.key_client("customers"), method, path(world), build)
    if scope is None:  # managing users and keys is for admins in the console only
        assert full.status_code == 403 and narrow.status_code == 403
        return
    assert full.status_code not in (401, 403), full.text
    if scope == "customers:read":
        assert narrow.status_code not in (401, 403)
    else:
        assert narrow.status_code == 403
        assert narrow.json()["error"]["code"] == "auth.scope"


def test_a_wrong_or_revoked_key_is_401(world: World) -> None:
    bad = world.client(headers={"Authorization": "Bearer siyu_nothere_x"})
    assert bad.get("/api/v1/customers").status_code == 401
    admin, csrf = world.login("admin")
    made = admin.post("/api/v1/api-keys", json={"name": "temp", "scopes": ["customers:read"]},
                      headers={"X-CSRF-Token": csrf}).json()  # fmt: skip
    key = world.client(headers={"X-API-Key": made["key"]})
    assert key.get("/api/v1/customers").status_code == 200
    assert admin.delete(f"/api/v1/api-keys/{made['id']}", headers={"X-CSRF-Token": csrf}).json()[
        "revoked_at"
    ]
    assert key.get("/api/v1/customers").status_code == 401


def test_health_and_me_need_no_permission(world: World) -> None:
    assert world.client().get("/api/v1/health").json()["status"] == "ok"
    assert world.client().get("/api/v1/me").status_code == 401
    for role in ROLES:
        client, _ = world.login(role)
        me = client.get("/api/v1/me").json()
        assert me["role"] == role
    assert world.key_client("webhook").get("/api/v1/me").json()["permissions"] == ["orders:write"]


def test_webhook_takes_only_signed_deliveries(world: World) -> None:
    event = order_event(f"auth-{uuid.uuid4().hex[:6]}")
    for role in ROLES:
        client, csrf = world.login(role)
        response = client.post("/api/v1/webhooks/orders", json=event,
                               headers={"X-CSRF-Token": csrf})  # fmt: skip
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "webhook.unsigned"
    bearer = world.key_client("webhook").post("/api/v1/webhooks/orders", json=event)
    assert bearer.status_code == 401
    assert post_event(world, world.client(), event, key="webhook_readonly").status_code == 403
    assert post_event(world, world.client(), event, key="webhook").status_code == 200


def test_staff_see_only_their_own_customers(world: World) -> None:
    staff, _ = world.login("customer_service")
    listed = staff.get("/api/v1/customers").json()
    assert [c["id"] for c in listed["items"]] == [world.staff_customer]
    assert staff.get(f"/api/v1/customers/{world.staff_customer}").status_code == 200
    other = staff.get(f"/api/v1/customers/{world.other_customer}")
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "customer.not_found"
    orders = staff.get("/api/v1/orders").json()["items"]
    assert orders and {o["customer_id"] for o in orders} == {world.staff_customer}
    operator, _ = world.login("operator")
    assert operator.get("/api/v1/customers").json()["total"] > 1
