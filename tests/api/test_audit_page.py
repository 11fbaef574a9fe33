"""The audit page and API: filters, export, verify, permissions (admins only)."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.api.conftest import ROLES, World, log_in


def test_admins_search_filter_and_export_the_log(world: World) -> None:
    client, _ = world.login("admin")
    log_in(world.client(), "analyst", "not the password")
    page = client.get("/audit")
    assert page.status_code == 200 and 'id="audit-table"' in page.text
    failed = client.get("/audit?action=auth.login_failed")
    rows = re.findall(r'<tr>\s*<td class="num">(\d+)</td>', failed.text)
    api = client.get("/api/v1/audit", params={"action": "auth.login_failed"}).json()
    assert api["total"] >= 1 and {e["action"] for e in api["items"]} == {"auth.login_failed"}
    assert rows == [str(e["id"]) for e in api["items"]]
    assert all(e["target_type"] == "user" for e in api["items"])
    xlsx = client.get("/api/v1/audit/export?format=xlsx&action=auth.login_failed")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:5] == ["id", "at", "actor", "actor_name", "action"]
    assert sheet.max_row == api["total"] + 1
    newest = client.get("/api/v1/audit", params={"action": "data.export"}).json()["items"][0]
    assert newest["target_id"] == "audit" and newest["actor_name"] == "admin"


def test_bad_filters_are_a_clear_error(world: World) -> None:
    client, _ = world.login("admin")
    answer = client.get(
        "/api/v1/audit", params={"target": ":12"}, headers={"Accept-Language": "en"}
    )
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "audit.bad_target"
    unknown = client.get("/api/v1/audit", params={"action": "nope"})
    assert unknown.status_code == 422


def test_verify_from_the_page_and_the_api(world: World) -> None:
    client, csrf = world.login("admin")
    done = client.post("/audit/verify", data={"csrf_token": csrf}, follow_redirects=True)
    assert done.status_code == 200 and "审计日志完整" in done.text
    api = client.post("/api/v1/audit/verify", headers={"X-CSRF-Token": csrf,
                                                       "Accept-Language": "en"})  # fmt: skip
    body = api.json()
    assert body["ok"] and body["broken_id"] is None and body["checked"] == body["last_id"]
    assert body["message"].startswith("Audit log intact")


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_open_the_log(world: World, role: str) -> None:
    client, csrf = world.login(role)
    assert client.get("/audit").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403
    assert client.post("/audit/verify", data={"csrf_token": csrf}).status_code == 403
    assert world.key_client("all").get("/api/v1/audit").json()["error"]["code"] == "auth.scope"
