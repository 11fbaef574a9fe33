"""Segments, tags, campaigns, today's tasks and the contact policy through the REST API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from siyu.db.engine import unit_of_work
from siyu.kit.clock import utcnow
from siyu.models import Order, Shop, StaffTask
from tests.api.conftest import World
from tests.fixtures.engage import customers

STAGES = ["silent", "silent", "silent", "active", "active", "dormant", "dormant", "active"]


@pytest.fixture(scope="module")
def profiled(world: World) -> list[int]:
    """Eight customers with published profiles (the seeded buyers have none)."""
    with unit_of_work(world.store.sessions) as session:
        return customers(session, world.workspace_id, [
            {"stage": stage, "clv_fen": 10_000 * (i + 1), "n_purchases": 1 + i % 3}
            for i, stage in enumerate(STAGES)
        ])  # fmt: skip


def test_segments_from_text_or_tree_count_list_and_export(
    world: World, profiled: list[int]
) -> None:
    client, csrf = world.login("operator")
    made = client.post("/api/v1/segments", headers={"X-CSRF-Token": csrf}, json={
        "code": "silent-rich", "name": "沉睡高价值", "rule": "stage = silent and clv_fen >= 20000",
    })  # fmt: skip
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["last_count"] == 2 and body["rule_text"].startswith("stage = silent")
    assert body["rule"] == {"all": [{"field": "stage", "op": "=", "value": "silent"},
                                    {"field": "clv_fen", "op": ">=", "value": 20000}]}  # fmt: skip
    rule = {"field": "stage", "op": "in", "value": ["active"]}
    tree = client.post("/api/v1/segments", headers={"X-CSRF-Token": csrf},
                       json={"code": "actives", "rule": rule})  # fmt: skip
    assert tree.status_code == 201 and tree.json()["last_count"] == 3
    live = client.get("/api/v1/segments/preview", params={"rule": "stage in [silent, dormant]"})
    assert live.json()["count"] == 5 and live.json()["by_stage"] == {"silent": 3, "dormant": 2}
    first = client.get("/api/v1/segments/actives/members?per_page=2").json()
    second = client.get("/api/v1/segments/actives/members?per_page=2&page=2").json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (
        3, 2, 2, 1)  # fmt: skip
    members = [c["id"] for c in first["items"] + second["items"]]
    assert members == [profiled[3], profiled[4], profiled[7]]
    assert {c["stage"] for c in first["items"]} == {"active"}
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/api/v1/segments/actives/members/export?format=csv").text.lstrip(
                    "\ufeff"
                )
            )
        )
    )
    assert rows[0][0] == "id" and [int(r[0]) for r in rows[1:]] == members  # fmt: skip
    book = load_workbook(
        io.BytesIO(client.get("/api/v1/segments/actives/members/export?format=xlsx").content)
    )
    assert book.active is not None and book.active.max_row == 4  # fmt: skip
    listed = client.get("/api/v1/segments?count=true").json()
    counts = {s["code"]: s["last_count"] for s in listed["items"]}
    assert counts["silent-rich"] == 2 and counts["actives"] == 3
    changed = client.patch("/api/v1/segments/actives", headers={"X-CSRF-Token": csrf},
                           json={"rule": "stage = dormant"})  # fmt: skip
    assert changed.json()["last_count"] == 2


@pytest.mark.parametrize(("rule", "where", "en", "zh"), [
    ("stage in [slient]", "$.value[0]", "Try: silent", "可选：silent"),
    ("stage in [silent", "pos 17", "expected ']'", "应为“]”"),
    ({"field": "stgae", "op": "=", "value": "silent"}, "$.field", "unknown field 'stgae'",
     "未知字段“stgae”"),
])  # fmt: skip
def test_a_bad_rule_says_where_in_both_languages_and_saves_nothing(
    world: World, rule: object, where: str, en: str, zh: str
) -> None:
    client, csrf = world.login("operator")
    for language, expected in (("en", en), ("zh-CN", zh)):
        headers = {"X-CSRF-Token": csrf, "Accept-Language": language}
        response = client.post("/api/v1/segments", json={"code": "broken", "rule": rule},
                               headers=headers)  # fmt: skip
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"].startswith("segment.rule_") and expected in error["message"]
        assert error["details"][0]["loc"] == ["body", "rule", where]
    assert client.get("/api/v1/segments/broken").status_code == 404
    preview = client.get("/api/v1/segments/preview", params={"rule": "stage in [silent"})
    assert preview.status_code == 422 and preview.json()["error"]["code"] == "segment.rule_syntax"


def test_tags_change_customers_and_segments_see_them(world: World, profiled: list[int]) -> None:
    client, csrf = world.login("operator")
    added = client.post("/api/v1/tags/vip/add", headers={"X-CSRF-Token": csrf},
                        json={"customer_ids": profiled[:3]})  # fmt: skip
    assert added.json() == {"tag": "vip", "changed": 3}
    unknown = client.post("/api/v1/tags/vip/add", headers={"X-CSRF-Token": csrf},
                          json={"customer_ids": [profiled[3], 99_999_999]})  # fmt: skip
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "customer.not_found"
    assert {"tag": "vip", "customers": 3} in client.get("/api/v1/tags").json()  # nothing changed
    removed = client.post("/api/v1/tags/vip/remove", headers={"X-CSRF-Token": csrf},
                          json={"customer_ids": [profiled[0]]})  # fmt: skip
    assert removed.json()["changed"] == 1
    count = client.get("/api/v1/segments/preview", params={"rule": "tags has vip"}).json()
    assert count["count"] == 2
    bad = client.post("/api/v1/tags/a%20b/add", headers={"X-CSRF-Token": csrf},
                      json={"customer_ids": [profiled[0]]})  # fmt: skip
    assert bad.status_code == 422


def _orders(world: World, customer_ids: list[int], when: object) -> None:
    with unit_of_work(world.store.sessions) as session:
        shop = session.scalar(select(Shop).where(Shop.workspace_id == world.workspace_id))
        assert shop is not None
        for c in customer_ids:
            session.add(Order(workspace_id=world.workspace_id, shop_id=shop.id, customer_id=c,
                              status="paid", platform_order_id=f"camp-{c}", fingerprint="f",
                              ordered_at=when, paid_fen=15_000))  # fmt: skip


def test_a_campaign_from_plan_to_launch_pause_and_results(
    world: World, profiled: list[int]
) -> None:
    client, csrf = world.login("operator")
    headers = {"X-CSRF-Token": csrf, "Accept-Language": "en"}
    client.post("/api/v1/segments", headers=headers, json={"code": "all8", "rule": "clv_fen > 0"})
    send_at = utcnow() - timedelta(hours=2)
    made = client.post("/api/v1/campaigns", headers=headers, json={
        "code": "autumn", "name": "秋季", "segment": "all8", "channel": "console",
        "send_at": send_at.isoformat(), "control_share": 0.5, "use_holdout": False,
        "variants": [{"code": "A", "content": {"text": "秋季新品 {product}"}}], "seed": 11,
    })  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["segment"] == "all8" and made.json()["status"] == "draft"
    plan = client.get("/api/v1/campaigns/autumn/plan").json()
    assert plan["audience"] == 8 and plan["control"] + plan["treatment"] == 8
    assert plan["admitted"] == plan["treatment"]
    early = client.get("/api/v1/campaigns/autumn/results", headers=headers)
    assert early.status_code == 422 and "not been launched" in early.json()["error"]["message"]
    started = client.post("/api/v1/campaigns/autumn/launch", headers=headers)
    assert started.status_code == 202
    world.app.state.jobs.wait(30)
    job = client.get(f"/api/v1/campaigns/launches/{started.json()['id']}").json()
    assert job["status"] == "done" and job["fraction"] == 1.0
    assert job["result"]["members"] == 8 and job["result"]["queued"] == plan["treatment"]
    assert client.post("/api/v1/campaigns/autumn/launch", headers=headers).status_code == 409
    detail = client.get("/api/v1/campaigns/autumn").json()
    assert detail["status"] == "launched" and detail["messages"] == {"pending": plan["treatment"]}
    paused = client.post("/api/v1/campaigns/autumn/pause", headers=headers).json()
    assert paused == {"code": "autumn", "status": "paused", "messages": plan["treatment"]}
    assert client.get("/api/v1/campaigns/autumn").json()["messages"] == {"held": plan["treatment"]}
    again = client.post("/api/v1/campaigns/autumn/pause", headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "campaign.not_pausable"
    resumed = client.post("/api/v1/campaigns/autumn/resume", headers=headers).json()
    assert resumed["status"] == "launched" and resumed["messages"] == plan["treatment"]
    _orders(world, profiled[:4], utcnow() - timedelta(hours=1))
    results = client.get("/api/v1/campaigns/autumn/results").json()
    arms = results["arms"]
    assert arms["treatment"]["customers"] + arms["control"]["customers"] == 8
    assert arms["treatment"]["converted"] + arms["control"]["converted"] == 4
    assert arms["treatment"]["revenue_fen"] + arms["control"]["revenue_fen"] == 4 * 15_000
    uplift = next(c for c in results["comparisons"] if c["metric"] == "conversion"
                  and c["population"] == "all")  # fmt: skip
    assert uplift["low"] <= uplift["difference"] <= uplift["high"]
    exported = client.get("/api/v1/campaigns/autumn/results/export?format=csv").text
    assert exported.lstrip("\ufeff").startswith("arm,customers,eligible,converted")
    assert "autumn" in client.get("/api/v1/campaigns/export").text


def test_staff_see_and_work_only_their_own_tasks(world: World) -> None:
    staff, csrf = world.login("customer_service")
    listed = staff.get("/api/v1/tasks").json()
    assert [t["id"] for t in listed["items"]] == [world.own_task]
    assert listed["items"][0]["customer_id"] == world.staff_customer
    assert listed["items"][0]["staff"] == "cs01" and "****" in listed["items"][0]["customer"]
    assert [t["id"] for t in staff.get("/api/v1/tasks?staff=cs02").json()["items"]] == [
        world.own_task]  # fmt: skip
    other = staff.post(f"/api/v1/tasks/{world.other_task}/done", headers={"X-CSRF-Token": csrf},
                       json={"outcome": "purchased"})  # fmt: skip
    assert other.status_code == 404 and other.json()["error"]["code"] == "task.not_found"
    assert staff.get(f"/api/v1/customers/{world.other_customer}").status_code == 404
    assert staff.get("/api/v1/tasks/export").status_code == 403
    admin, admin_csrf = world.login("admin")
    everyone = admin.get("/api/v1/tasks").json()["items"]
    assert {t["id"]: t["status"] for t in everyone} == {world.own_task: "open",
                                                        world.other_task: "open"}  # fmt: skip
    assert [t["id"] for t in admin.get("/api/v1/tasks?staff=cs02").json()["items"]] == [
        world.other_task]  # fmt: skip
    empty = staff.post(f"/api/v1/tasks/{world.own_task}/skip", headers={"X-CSRF-Token": csrf},
                       json={"reason": ""})  # fmt: skip
    assert empty.status_code == 422
    done = staff.post(f"/api/v1/tasks/{world.own_task}/done", headers={"X-CSRF-Token": csrf},
                      json={"outcome": "purchased", "note": "买了两瓶"})  # fmt: skip
    assert done.json()["status"] == "done" and done.json()["outcome"] == "purchased"
    moved = admin.post(f"/api/v1/tasks/{world.other_task}/reassign",
                       headers={"X-CSRF-Token": admin_csrf}, json={"to": "cs01"})  # fmt: skip
    assert moved.json()["staff"] == "cs01"
    assert {t["id"] for t in staff.get("/api/v1/tasks").json()["items"]} == {
        world.own_task, world.other_task}  # fmt: skip
    rows = admin.get("/api/v1/tasks/export?format=csv").text.lstrip("\ufeff").splitlines()
    assert rows[0].startswith("id,day,staff,rank") and len(rows) == 3
    with unit_of_work(world.store.sessions) as session:
        assert session.get(StaffTask, world.own_task).note == "买了两瓶"  # type: ignore[union-attr]


def test_the_contact_policy_is_read_by_engage_and_written_by_admins(world: World) -> None:
    reader, _ = world.login("analyst")
    policy = reader.get("/api/v1/policy").json()
    assert policy["quiet_hours"] == {"start": "21:00:00", "end": "09:00:00"}
    admin, csrf = world.login("admin")
    later = policy | {"quiet_hours": {"start": "22:00", "end": "08:00"}}
    changed = admin.put("/api/v1/policy", headers={"X-CSRF-Token": csrf}, json=later)
    assert changed.status_code == 200 and changed.json()["quiet_hours"]["start"] == "22:00:00"
    bad = admin.put("/api/v1/policy", headers={"X-CSRF-Token": csrf},
                    json=policy | {"default_time_zone": "Mars/Base"})  # fmt: skip
    assert bad.status_code == 422
    assert reader.get("/api/v1/policy").json()["quiet_hours"]["start"] == "22:00:00"
    operator, op_csrf = world.login("operator")
    refused = operator.put("/api/v1/policy", headers={"X-CSRF-Token": op_csrf}, json=policy)
    assert refused.status_code == 403
