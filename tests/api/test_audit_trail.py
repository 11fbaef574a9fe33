"""The audit trail through the web: masking by role, audited reveals, exports, log-ins,
lock-out, user and key changes (each checked in the log itself)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from siyu.accounts import repository as accounts
from siyu.app import create_app
from siyu.audit import service as audit
from siyu.audit.repository import AuditFilter
from siyu.db.engine import unit_of_work
from siyu.models import AuditEntry
from tests.api.conftest import PASSWORD, ROLES, World, log_in

CLEAR_PHONE = "19900001111"


def entries(world: World, **filters: str) -> list[AuditEntry]:
    """Entries of the world's workspace matching the filters, newest first."""
    with unit_of_work(world.store.sessions) as session:
        found, _ = audit.search(
            session, AuditFilter(workspace_id=world.workspace_id, **filters), limit=None
        )
    return found


def user_id(world: World, name: str) -> int:
    """The id of a seeded user."""
    with unit_of_work(world.store.sessions) as session:
        user = accounts.get_user_by_name(session, name)
        assert user is not None
        return user.id


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_masked_values(world: World, role: str) -> None:
    client, _ = world.login(role)
    listed = client.get("/api/v1/customers")
    portrait = client.get(f"/api/v1/customers/{world.staff_customer}")
    page = client.get(f"/customers/{world.staff_customer}")
    for response in (listed, portrait, page):
        assert response.status_code == 200
        assert CLEAR_PHONE not in response.text and "林小青" not in response.text
    body = portrait.json()
    assert body["name_masked"] == "林**" and body["address_masked"].endswith("****")
    assert ("data-reveal" in page.text) is (role == "admin")


@pytest.mark.parametrize("role", ROLES)
def test_only_the_clear_view_permission_reveals_and_each_reveal_is_audited(
    world: World, role: str
) -> None:
    client, csrf = world.login(role)
    customer = world.staff_customer
    identities = client.get(f"/api/v1/customers/{customer}").json()["identities"]
    phone = next(i for i in identities if i["kind"] == "phone")
    before = len(entries(world, action="pii.reveal"))
    answer = client.post(
        f"/api/v1/customers/{customer}/reveal", headers={"X-CSRF-Token": csrf},
        json={"field": "identity", "identity_id": phone["id"]},
    )  # fmt: skip
    if role != "admin":
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "auth.forbidden"
        assert len(entries(world, action="pii.reveal")) == before
        return
    assert answer.status_code == 200 and answer.json()["value"] == CLEAR_PHONE
    assert answer.headers["cache-control"] == "no-store"
    newest = entries(world, action="pii.reveal")[0]
    assert newest.actor == f"user:{user_id(world, 'admin')}"
    assert (newest.target_type, newest.target_id) == ("customer", str(customer))
    assert newest.details == {"field": "identity", "identity_id": phone["id"], "kind": "phone"}
    assert CLEAR_PHONE not in str(newest.details)


def test_the_console_show_action_reveals_one_value(world: World) -> None:
    client, csrf = world.login("admin")
    customer = world.staff_customer
    shown = client.post(f"/customers/{customer}/reveal",
                        data={"field": "name", "csrf_token": csrf})  # fmt: skip
    assert shown.status_code == 200 and "林小青" in shown.text
    assert CLEAR_PHONE not in shown.text  # only the asked-for value
    assert shown.headers["cache-control"] == "no-store"
    address = client.post(f"/customers/{customer}/reveal",
                          data={"field": "address", "csrf_token": csrf})  # fmt: skip
    assert "文三路88号" in address.text
    assert [e.details["field"] for e in entries(world, action="pii.reveal")[:2]] == [
        "address", "name",
    ]  # fmt: skip
    analyst, token = world.login("analyst")
    refused = analyst.post(f"/customers/{customer}/reveal",
                           data={"field": "name", "csrf_token": token})  # fmt: skip
    assert refused.status_code == 403 and "林小青" not in refused.text


def test_api_keys_never_reveal(world: World) -> None:
    answer = world.key_client("all").post(
        f"/api/v1/customers/{world.staff_customer}/reveal", json={"field": "name"}
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "auth.scope"


def test_exports_are_audited_without_the_search_terms(world: World) -> None:
    client = world.key_client("all")
    answer = client.get(f"/api/v1/customers/export?format=xlsx&q={CLEAR_PHONE}")
    assert answer.status_code == 200
    newest = entries(world, action="data.export")[0]
    assert newest.actor.startswith("api_key:")
    assert (newest.target_type, newest.target_id) == ("export", "customers")
    assert newest.details["format"] == "xlsx" and newest.details["filters"] == ["q"]
    assert CLEAR_PHONE not in str(newest.details)
    statement = client.get(f"/api/v1/loyalty/members/{world.staff_customer}/statement/export")
    assert statement.status_code in (200, 404)
    newest = entries(world, action="data.export")[0]
    assert newest.details["path"] == "/api/v1/loyalty/members/{customer_id}/statement/export"
    assert newest.details["ids"] == {"customer_id": world.staff_customer}
    refused = client.get(f"/api/v1/imports/{CLEAR_PHONE}x/rejects/export")
    assert refused.status_code == 422  # audited as an attempt, without the path sent
    assert CLEAR_PHONE not in str(entries(world, action="data.export")[0].details)
    analyst, _ = world.login("analyst")
    assert analyst.get("/api/v1/orders/export").status_code == 200
    assert entries(world, action="data.export")[0].target_id == "orders"


def test_log_ins_failures_and_lock_out_are_audited(world: World) -> None:
    admin, csrf = world.login("admin")
    body = {"username": "locky", "password": PASSWORD, "role": "analyst"}
    made = admin.post("/api/v1/users", headers={"X-CSRF-Token": csrf}, json=body)
    assert made.status_code == 201
    locky = made.json()["id"]
    assert log_in(world.client(), "locky", PASSWORD).status_code == 303
    assert entries(world, action="auth.login", target_id=str(locky))
    for _ in range(4):
        assert log_in(world.client(), "locky", "wrong password!").status_code == 401
    fifth = log_in(world.client(), "locky", "wrong password!")
    assert fifth.status_code == 401 and "锁定" in fifth.text
    assert len(entries(world, action="auth.login_failed", target_id=str(locky))) == 5
    assert entries(world, action="auth.lockout", target_id=str(locky))[0].details["failures"] == 5
    # Another server process (no in-memory throttle) still refuses the right password.
    other = TestClient(create_app(world.store))
    refused = log_in(other, "locky", PASSWORD)
    assert refused.status_code == 401 and "锁定" in refused.text
    assert entries(world, action="auth.login_failed")[0].details == {"reason": "locked"}
    # An admin's new password lifts the lock.
    reset = admin.patch(f"/api/v1/users/{locky}", headers={"X-CSRF-Token": csrf},
                        json={"password": "another long password"})  # fmt: skip
    assert reset.status_code == 200
    assert log_in(other, "locky", "another long password").status_code == 303


def test_unknown_names_are_audited_without_the_name(world: World) -> None:
    assert log_in(world.client(), "13800001234", "whatever it is").status_code == 401
    with unit_of_work(world.store.sessions) as session:
        found, _ = audit.search(session, AuditFilter(action="auth.login_failed"), limit=1)
    assert found[0].workspace_id is None and found[0].details == {"reason": "unknown_user"}
    assert "13800001234" not in str(found[0].details) + found[0].target_id


def test_user_and_key_changes_are_audited(world: World) -> None:
    admin, csrf = world.login("admin")
    headers = {"X-CSRF-Token": csrf}
    body = {"username": "rolly", "password": PASSWORD, "role": "read_only"}
    made = admin.post("/api/v1/users", headers=headers, json=body)
    rolly = str(made.json()["id"])
    admin.patch(f"/api/v1/users/{rolly}", headers=headers, json={"role": "operator"})
    admin.patch(f"/api/v1/users/{rolly}", headers=headers, json={"active": False})
    key = admin.post("/api/v1/api-keys", headers=headers,
                     json={"name": "erp", "scopes": ["orders:read"]}).json()  # fmt: skip
    admin.delete(f"/api/v1/api-keys/{key['id']}", headers=headers)
    actor = f"user:{user_id(world, 'admin')}"
    mine = {(e.action, e.target_id): e for e in entries(world, actor=actor)}
    assert mine[("user.create", rolly)].details == {"role": "read_only"}
    assert mine[("user.role_change", rolly)].details == {"from": "read_only", "to": "operator"}
    assert ("user.deactivate", rolly) in mine
    assert mine[("api_key.create", str(key["id"]))].details["scopes"] == "orders:read"
    assert mine[("api_key.revoke", str(key["id"]))].details == {"prefix": key["prefix"]}
    with unit_of_work(world.store.sessions) as session:
        assert audit.verify(session).ok
