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
EXPORTERS = {"admin", "operator", "analyst"}
WRITERS = {"admin", "operator"}
EXPORTERS = {"admin", "operator", "analyst"}  # engage exports: engage:read and export
WRITERS = {"admin", "operator"}
WORKERS = {"admin", "operator", "customer_service"}

Request = Callable[[World], dict[str, Any]]


def _csv() -> dict[str, Any]:
    data = "sku,name,price\nSKU-X,测试商品,9.90\n".encode()
    return {
        "data": {"kind": "products"},
        "files": {"file": ("p.csv", io.BytesIO(data), "text/csv")},
    }


def _segment(_: World) -> dict[str, Any]:
    return {"json": {"code": f"s{uuid.uuid4().hex[:8]}", "rule": "tier >= repeat"}}


def _campaign(_: World) -> dict[str, Any]:
    return {"json": {"code": f"c{uuid.uuid4().hex[:8]}", "segment": "buyers", "channel": "sms",
                     "send_at": "2030-01-01T10:00:00+08:00",
                     "variants": [{"content": {"text": "你好"}}]}}  # fmt: skip


def _tagged(w: World) -> dict[str, Any]:
    return {"json": {"customer_ids": [w.staff_customer]}}


def _user(_: World) -> dict[str, Any]:
    return {"json": {"username": f"u{uuid.uuid4().hex[:8]}", "password": "a long password",
                     "role": "read_only"}}  # fmt: skip


def _loyal(body: dict[str, Any]) -> Request:
    """A loyalty write: its body and a fresh idempotency key."""
    return lambda _: {"json": body, "headers": {"Idempotency-Key": uuid.uuid4().hex}}


def _member_path(tail: str) -> Callable[[World], str]:
    return lambda w: f"/api/v1/loyalty/members/{w.staff_customer}/{tail}"


def _fixed(path: str) -> Callable[[World], str]:
    return lambda _: path


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
    ("GET", "/api/v1/figures", lambda w: "/api/v1/figures", READERS, None, "overview:read"),
    ("POST", "/api/v1/figures/jobs", lambda w: "/api/v1/figures/jobs", READERS,
     lambda w: {"json": {"grain": "day"}}, "overview:read"),
    ("GET", "/api/v1/figures/{family}", lambda w: "/api/v1/figures/channels", READERS, None,
     "overview:read"),
    ("GET", "/api/v1/figures/tables/{table}/export",
     lambda w: "/api/v1/figures/tables/channels/export?format=xlsx",
     {"admin", "operator", "analyst"}, None, "export"),
    ("POST", "/api/v1/figures/ladder-between/jobs", lambda w: "/api/v1/figures/ladder-between/jobs",
     READERS, lambda w: {"json": {"start": "2024-03-01", "end": "2024-03-31"}}, "overview:read"),
    ("GET", "/api/v1/figures/ladder-between", lambda w: "/api/v1/figures/ladder-between",
     READERS, None, "overview:read"),
    ("GET", "/api/v1/figures/ladder-between/{table}/export",
     lambda w: "/api/v1/figures/ladder-between/ladder/export", {"admin", "operator", "analyst"},
     None, "export"),
    ("GET", "/api/v1/customers", lambda w: "/api/v1/customers", ALL, None, "customers:read"),
    ("GET", "/api/v1/customers/export", lambda w: "/api/v1/customers/export?format=csv",
     {"admin", "operator", "analyst"}, None, "export"),
    ("GET", "/api/v1/customers/{customer_id}",
     lambda w: f"/api/v1/customers/{w.staff_customer}", ALL, None, "customers:read"),
    ("POST", "/api/v1/customers/{customer_id}/reveal",
     lambda w: f"/api/v1/customers/{w.staff_customer}/reveal", {"admin"},
     lambda w: {"json": {"field": "name"}}, None),
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
    ("GET", "/api/v1/audit", lambda w: "/api/v1/audit?action=auth.login", {"admin"}, None, None),
    ("GET", "/api/v1/audit/export", lambda w: "/api/v1/audit/export?format=csv", {"admin"}, None,
     None),
    ("POST", "/api/v1/audit/verify", lambda w: "/api/v1/audit/verify", {"admin"}, None, None),
    ("POST", "/api/v1/api-keys", lambda w: "/api/v1/api-keys", {"admin"},
     lambda w: {"json": {"name": "k", "scopes": ["customers:read"]}}, None),
    ("DELETE", "/api/v1/api-keys/{key_id}", lambda w: "/api/v1/api-keys/999999", {"admin"},
     None, None),
    ("GET", "/api/v1/loyalty/program", lambda w: "/api/v1/loyalty/program", ALL, None,
     "loyalty:read"),
    ("GET", "/api/v1/loyalty/tiers", lambda w: "/api/v1/loyalty/tiers", ALL, None,
     "loyalty:read"),
    ("GET", "/api/v1/loyalty/figures", lambda w: "/api/v1/loyalty/figures", READERS, None,
     "loyalty:read"),
    ("GET", "/api/v1/loyalty/members/{customer_id}",
     lambda w: f"/api/v1/loyalty/members/{w.staff_customer}", ALL, None, "loyalty:read"),
    ("GET", "/api/v1/loyalty/members/{customer_id}/statement",
     lambda w: f"/api/v1/loyalty/members/{w.staff_customer}/statement", ALL, None,
     "loyalty:read"),
    ("GET", "/api/v1/loyalty/members/{customer_id}/statement/export",
     lambda w: f"/api/v1/loyalty/members/{w.staff_customer}/statement/export",
     {"admin", "operator", "analyst"}, None, "export"),
    *[("POST", f"/api/v1/loyalty/members/{{customer_id}}/{tail}",
       _member_path(tail),
       {"admin", "operator"}, _loyal(body), "loyalty:write")
      for tail, body in (("actions", {"action": "review"}), ("redemptions", {"points": 1}),
                         ("top-ups", {"amount_fen": 100}), ("spends", {"amount_fen": 1}),
                         ("cards", {"plan_code": "plus"}), ("tiers/evaluate", {}))],
    *[("POST", f"/api/v1/loyalty/{path}", _fixed(f"/api/v1/loyalty/{path}"),
       {"admin", "operator"}, _loyal(body), "loyalty:write")
      for path, body in (("redemptions/refunds", {"redeem_key": "x", "points": 1}),
                         ("spends/refunds", {"spend_key": "x", "amount_fen": 1}),
                         ("top-ups/refunds", {"topup_key": "x"}))],
    ("POST", "/api/v1/loyalty/cards/{card_id}/renew",
     lambda w: "/api/v1/loyalty/cards/999999/renew", {"admin", "operator"}, _loyal({}),
     "loyalty:write"),
    ("POST", "/api/v1/loyalty/cards/{card_id}/cancel",
     lambda w: "/api/v1/loyalty/cards/999999/cancel", {"admin", "operator"}, _loyal({}),
     "loyalty:write"),
    ("POST", "/api/v1/loyalty/expire", lambda w: "/api/v1/loyalty/expire", {"admin"}, _loyal({}),
     "loyalty:manage"),
    ("POST", "/api/v1/loyalty/tiers/evaluate", lambda w: "/api/v1/loyalty/tiers/evaluate",
     {"admin"}, _loyal({}), "loyalty:manage"),
    ("GET", "/api/v1/channel-codes", lambda w: "/api/v1/channel-codes", READERS, None,
     "engage:read"),
    ("GET", "/api/v1/channel-codes/export", lambda w: "/api/v1/channel-codes/export", EXPORTERS,
     None, "export"),
    ("POST", "/api/v1/channel-codes", lambda w: "/api/v1/channel-codes", WRITERS,
     lambda w: {"json": {"code": f"c{uuid.uuid4().hex[:8]}", "name": "卡", "channel": "card",
                         "staff": ["cs01"]}}, "engage:write"),
    ("PATCH", "/api/v1/channel-codes/{code}", lambda w: "/api/v1/channel-codes/nope", WRITERS,
     lambda w: {"json": {"status": "paused"}}, "engage:write"),
    ("GET", "/api/v1/channel-codes/{code}/qr.{kind}",
     lambda w: "/api/v1/channel-codes/nope/qr.png", READERS, None, "engage:read"),
    ("GET", "/api/v1/channel-codes/{code}/cards.pdf",
     lambda w: "/api/v1/channel-codes/nope/cards.pdf?since=2026-01-01&until=2026-01-02",
     EXPORTERS, None, "export"),
    ("GET", "/api/v1/groups", lambda w: "/api/v1/groups", READERS, None, "engage:read"),
    ("GET", "/api/v1/groups/export", lambda w: "/api/v1/groups/export", EXPORTERS, None,
     "export"),
    ("GET", "/api/v1/referral/campaigns", lambda w: "/api/v1/referral/campaigns", READERS, None,
     "engage:read"),
    ("GET", "/api/v1/referral/campaigns/{code}", lambda w: "/api/v1/referral/campaigns/nope",
     READERS, None, "engage:read"),
    ("GET", "/api/v1/referral/rewards", lambda w: "/api/v1/referral/rewards", READERS, None,
     "engage:read"),
    ("POST", "/api/v1/referral/rewards/{reward_id}/decision",
     lambda w: "/api/v1/referral/rewards/999999/decision", WRITERS,
     lambda w: {"json": {"approve": True}}, "engage:write"),
    ("GET", "/api/v1/segments", lambda w: "/api/v1/segments?count=true", READERS, None,
     "engage:read"),
    ("POST", "/api/v1/segments", lambda w: "/api/v1/segments", WRITERS, _segment, "engage:write"),
    ("GET", "/api/v1/segments/export", lambda w: "/api/v1/segments/export", EXPORTERS, None,
     "engage:read"),
    ("GET", "/api/v1/segments/fields", lambda w: "/api/v1/segments/fields", READERS, None,
     "engage:read"),
    ("GET", "/api/v1/segments/preview", lambda w: "/api/v1/segments/preview?rule=tier%3E%3Drepeat",
     READERS, None, "engage:read"),
    ("GET", "/api/v1/segments/{code}", lambda w: "/api/v1/segments/buyers", READERS, None,
     "engage:read"),
    ("PATCH", "/api/v1/segments/{code}", lambda w: "/api/v1/segments/buyers", WRITERS,
     lambda w: {"json": {"description": "买过的客户"}}, "engage:write"),
    ("GET", "/api/v1/segments/{code}/count", lambda w: "/api/v1/segments/buyers/count", READERS,
     None, "engage:read"),
    ("GET", "/api/v1/segments/{code}/members", lambda w: "/api/v1/segments/buyers/members",
     READERS, None, "engage:read"),
    ("GET", "/api/v1/segments/{code}/members/export",
     lambda w: "/api/v1/segments/buyers/members/export?format=xlsx", EXPORTERS, None,
     "engage:read"),
    ("GET", "/api/v1/tags", lambda w: "/api/v1/tags", READERS, None, "engage:read"),
    ("POST", "/api/v1/tags/{tag}/add", lambda w: "/api/v1/tags/vip/add", WRITERS, _tagged,
     "engage:write"),
    ("POST", "/api/v1/tags/{tag}/remove", lambda w: "/api/v1/tags/gone/remove", WRITERS,
     _tagged, "engage:write"),
    ("GET", "/api/v1/campaigns", lambda w: "/api/v1/campaigns", READERS, None, "engage:read"),
    ("POST", "/api/v1/campaigns", lambda w: "/api/v1/campaigns", WRITERS, _campaign,
     "engage:write"),
    ("GET", "/api/v1/campaigns/export", lambda w: "/api/v1/campaigns/export", EXPORTERS, None,
     "engage:read"),
    ("GET", "/api/v1/campaigns/launches/{job_id}", lambda w: "/api/v1/campaigns/launches/none",
     READERS, None, "engage:read"),
    ("GET", "/api/v1/campaigns/{code}", lambda w: "/api/v1/campaigns/spring", READERS, None,
     "engage:read"),
    ("GET", "/api/v1/campaigns/{code}/plan", lambda w: "/api/v1/campaigns/spring/plan",
     READERS, None, "engage:read"),
    ("POST", "/api/v1/campaigns/{code}/launch", lambda w: "/api/v1/campaigns/nothing/launch",
     WRITERS, None, "engage:write"),
    ("POST", "/api/v1/campaigns/{code}/pause", lambda w: "/api/v1/campaigns/spring/pause",
     WRITERS, None, "engage:write"),
    ("POST", "/api/v1/campaigns/{code}/resume", lambda w: "/api/v1/campaigns/spring/resume",
     WRITERS, None, "engage:write"),
    ("GET", "/api/v1/campaigns/{code}/results", lambda w: "/api/v1/campaigns/spring/results",
     READERS, None, "engage:read"),
    ("GET", "/api/v1/campaigns/{code}/results/export",
     lambda w: "/api/v1/campaigns/spring/results/export", EXPORTERS, None, "engage:read"),
    ("GET", "/api/v1/tasks", lambda w: "/api/v1/tasks", WORKERS, None, None),
    ("GET", "/api/v1/tasks/export", lambda w: "/api/v1/tasks/export", WRITERS, None, None),
    ("POST", "/api/v1/tasks/{task_id}/done", lambda w: f"/api/v1/tasks/{w.own_task}/done",
     WORKERS, lambda w: {"json": {"outcome": "other"}}, None),
    ("POST", "/api/v1/tasks/{task_id}/skip", lambda w: f"/api/v1/tasks/{w.own_task}/skip",
     WORKERS, lambda w: {"json": {"reason": "休假"}}, None),
    ("POST", "/api/v1/tasks/{task_id}/reassign", lambda w: f"/api/v1/tasks/{w.own_task}/reassign",
     WORKERS, lambda w: {"json": {"to": "cs01"}}, None),
    ("GET", "/api/v1/policy", lambda w: "/api/v1/policy", READERS, None, "engage:read"),
    ("PUT", "/api/v1/policy", lambda w: "/api/v1/policy", {"admin"}, lambda w: {"json": {}},
     None),
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
    kwargs = build(world) if build else {}
    headers = {"X-CSRF-Token": csrf} | kwargs.pop("headers", {})
    response = _call(world, client, method, path(world), build) if method == "GET" else (
        client.request(method, path(world), headers=headers, **kwargs)
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
