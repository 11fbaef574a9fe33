"""REST endpoints of channel codes, groups and referral on the demo brand (which has channel
codes, groups with a dead one, and a referral campaign)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from siyu.accounts import service as accounts
from siyu.accounts.rules import Role
from siyu.app import create_app
from siyu.db.engine import unit_of_work
from siyu.demo.loader import DemoLoader
from siyu.demo.pool_extras import REFERRAL_CAMPAIGN
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher
from siyu.models import StaffAccount
from siyu.workspaces import service as workspaces
from tests.api.conftest import PASSWORD, ROLES, World, open_test_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, cipher: PiiCipher) -> Iterator[World]:
    """A small demo brand (its referral campaign has rewards held for review) and users."""
    home = tmp_path_factory.mktemp("pool_api")
    store = open_test_store(f"sqlite:///{home / 'siyu.db'}", home, cipher)
    try:
        world = World(store, create_app(store), 0)
        with unit_of_work(store.sessions) as s:
            ws = workspaces.ensure(s, "demo")
            world.workspace_id = ws.id
            DemoLoader(s, ws.id, cipher, simulate_brand(orders=1_500, seed=7)).load()
            staff = s.scalars(select(StaffAccount).where(StaffAccount.workspace_id == ws.id))
            code = staff.first()
            assert code is not None
            for role in ROLES:
                accounts.create_user(
                    s, ws.id, username=role, password=PASSWORD, role=Role(role),
                    staff_code=code.code if role == "customer_service" else "",
                )  # fmt: skip
        yield world
    finally:
        store.close()


def test_channel_codes_list_with_joins_and_visits(demo: World) -> None:
    client, _ = demo.login("analyst")
    assert client.get("/j/package_card").status_code in (200,)  # a visit (not yet connected)
    page = client.get("/api/v1/channel-codes", params={"per_page": 50}).json()
    codes = {c["code"]: c for c in page["items"]}
    assert {"red_envelope_card", "package_card", "cs_invite", "double11_live"} <= set(codes)
    assert page["total"] == len(page["items"])
    assert codes["red_envelope_card"]["joins"] > 0
    assert codes["package_card"]["visits"] == 1
    assert codes["double11_live"]["status"] == "archived"
    archived = client.get("/api/v1/channel-codes", params={"status": "archived"}).json()
    assert [c["code"] for c in archived["items"]] == ["double11_live"]


def test_create_and_pause_a_code_need_write_rights(demo: World) -> None:
    body = {"code": "kol_xhs", "name": "小红书 KOL", "channel": "kol", "staff": ["wecom_xiaoya"],
            "cost_per_join_fen": 500}  # fmt: skip
    analyst, csrf = demo.login("analyst")
    refused = analyst.post("/api/v1/channel-codes", json=body, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    operator, csrf = demo.login("operator")
    headers = {"X-CSRF-Token": csrf}
    made = operator.post("/api/v1/channel-codes", json=body, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["landing_url"].endswith("/j/kol_xhs") and made.json()["joins"] == 0
    again = operator.post("/api/v1/channel-codes", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "channels.code_exists"
    paused = operator.patch("/api/v1/channel-codes/kol_xhs", json={"status": "paused"},
                            headers=headers)  # fmt: skip
    assert paused.json()["status"] == "paused"
    bad = operator.patch("/api/v1/channel-codes/kol_xhs", json={"status": "gone"},
                         headers=headers | {"Accept-Language": "zh-CN"})  # fmt: skip
    assert bad.status_code == 422
    missing = operator.patch("/api/v1/channel-codes/nope", json={"status": "paused"},
                             headers=headers)  # fmt: skip
    assert missing.status_code == 404


def test_qr_downloads_and_insert_cards(demo: World) -> None:
    client, _ = demo.login("analyst")
    png = client.get("/api/v1/channel-codes/package_card/qr.png")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = client.get("/api/v1/channel-codes/package_card/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    with unit_of_work(demo.store.sessions) as s:
        from siyu.models import Order

        last = s.scalar(select(Order.ordered_at).order_by(Order.ordered_at.desc()))
    assert isinstance(last, datetime)
    day = (last + timedelta(hours=8)).date()
    params = {"since": str(day - timedelta(days=6)), "until": str(day), "include_pool": "true"}
    pdf = client.get("/api/v1/channel-codes/package_card/cards.pdf", params=params)
    assert pdf.status_code == 200, pdf.text
    assert pdf.content[:5] == b"%PDF-" and pdf.headers["content-type"] == "application/pdf"
    wide = client.get("/api/v1/channel-codes/package_card/cards.pdf",
                      params={"since": "2026-01-01", "until": "2026-06-01"})  # fmt: skip
    assert wide.status_code == 422 and "31" in wide.json()["error"]["message"]
    cs, _ = demo.login("customer_service")
    assert cs.get("/api/v1/channel-codes/package_card/qr.png").status_code == 403


def test_groups_show_the_dead_one_with_its_reason(demo: World) -> None:
    client, _ = demo.login("analyst")
    found = client.get("/api/v1/groups").json()
    assert found["window_days"] == 28 and len(found["days"]) == 28
    statuses = [g["status"] for g in found["groups"]]
    assert statuses[0] == "dead"  # worst first
    dead = found["groups"][0]
    assert dead["reason"] in ("owner_only", "silent") and dead["member_share"] < 0.1
    healthy = [g for g in found["groups"] if g["status"] == "healthy"]
    assert healthy and all(g["reason"] == "" for g in healthy)
    assert sum(d["member_messages"] for d in found["days"]) > 0
    one = client.get("/api/v1/groups", params={"chat_ref": dead["chat_ref"]}).json()
    assert sum(d["member_messages"] for d in one["days"]) < sum(
        d["member_messages"] for d in found["days"]
    )
    only = client.get("/api/v1/groups", params={"status": "dead"}).json()["groups"]
    assert {g["status"] for g in only} == {"dead"}
    xlsx = client.get("/api/v1/groups/export", params={"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "chat_ref" and len(rows) == len(found["groups"]) + 1
    missing = client.get("/api/v1/groups", params={"chat_ref": "no-such-group"})
    assert missing.status_code == 404
    for far in ("9999-12-31", "0001-01-01"):  # the window around it would overflow
        refused = client.get("/api/v1/groups", params={"as_of": far})
        assert refused.status_code == 422 and "1970-01-01" in refused.json()["error"]["message"]


def test_referral_k_factor_and_the_review_of_held_rewards(demo: World) -> None:
    client, _ = demo.login("analyst")
    (campaign,) = client.get("/api/v1/referral/campaigns").json()
    assert campaign["code"] == REFERRAL_CAMPAIGN and campaign["holders"] > 0
    assert campaign["k_join"] == round(campaign["joiners"] / campaign["holders"], 4)
    one = client.get(f"/api/v1/referral/campaigns/{REFERRAL_CAMPAIGN}").json()
    assert one == campaign
    held = client.get("/api/v1/referral/rewards", params={"per_page": 500}).json()["items"]
    assert held and {r["status"] for r in held} == {"held"} and all(r["hold_reason"] for r in held)
    reward_id = held[0]["id"]
    url = f"/api/v1/referral/rewards/{reward_id}/decision"
    analyst_csrf = demo.login("analyst")[1]
    refused = client.post(url, json={"approve": True}, headers={"X-CSRF-Token": analyst_csrf})
    assert refused.status_code == 403
    operator, csrf = demo.login("operator")
    decided = operator.post(url, json={"approve": False}, headers={"X-CSRF-Token": csrf})
    assert decided.json()["status"] == "rejected" and decided.json()["decided_by"] == "operator"
    twice = operator.post(url, json={"approve": True}, headers={"X-CSRF-Token": csrf})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "referral.not_held"
    after = client.get("/api/v1/referral/rewards", params={"per_page": 500}).json()["items"]
    assert [r["id"] for r in after] == [r["id"] for r in held[1:]]
    rejected = client.get("/api/v1/referral/rewards", params={"status": "rejected"}).json()
    assert [r["id"] for r in rejected["items"]] == [reward_id]
