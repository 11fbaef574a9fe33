"""The loyalty API against the real app: reads, every write, idempotency, bad input, races.

Bad input is checked the way a caller sees it (a code and a message in their language) and
the way the books see it (the journal, balances, lots and cards are equal before and after).
"""

from __future__ import annotations

import io
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests
import uvicorn
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from siyu.accounts import service as accounts
from siyu.db.engine import unit_of_work
from siyu.kit.clock import utcnow
from siyu.loyalty import service
from siyu.models import LoyaltyCard, LoyaltyPosting
from tests.api.conftest import World
from tests.fixtures.loyalty import digest, program_config

BASE = "/api/v1/loyalty"


@pytest.fixture(scope="module")
def loyal(world: World) -> World:
    """The API world with the demo-like programme and keys carrying the loyalty scopes."""
    return _with_programme(world)


def _with_programme(world: World) -> World:
    with unit_of_work(world.store.sessions) as session:
        service.apply_program(session, world.workspace_id, program_config())
        for name, scopes in (
            ("loyalty", "loyalty:read loyalty:write loyalty:manage export"),
            ("loyalty_read", "loyalty:read"),
        ):
            made = accounts.create_api_key(
                session, world.workspace_id, world.store.cipher, name=name, scopes=scopes
            )
            world.keys[name] = (made.key, made.row.prefix, made.signing_secret)
    return world


def _client(world: World, lang: str = "en") -> TestClient:
    return world.client(
        headers={"Authorization": f"Bearer {world.keys['loyalty'][0]}", "Accept-Language": lang}
    )


def _post(client: TestClient, path: str, body: dict[str, Any] | None = None,
          key: str | None = None) -> Any:  # fmt: skip
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return client.post(f"{BASE}{path}", json=body or {}, headers=headers)


def _books(world: World) -> dict[str, Any]:
    with world.store.sessions() as session:
        return digest(session, world.workspace_id)


def _member(world: World, customer: int) -> dict[str, Any]:
    response = _client(world).get(f"{BASE}/members/{customer}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_programme_tiers_and_figures(loyal: World) -> None:
    client = _client(loyal)
    program = client.get(f"{BASE}/program").json()
    assert [t["code"] for t in program["tiers"]] == ["member", "silver", "gold", "black"]
    assert program["card_plans"][0] == program["card_plans"][0] | {
        "code": "plus", "price_fen": 36_500, "tier": "black", "refund_policy": "pro_rata"
    }  # fmt: skip
    assert {r["action"] for r in program["earn_rules"] if r["kind"] == "action"} == {
        "join_pool", "review", "referral"
    }  # fmt: skip
    assert client.get(f"{BASE}/tiers").json() == program["tiers"]
    customer = loyal.other_customer
    assert _post(client, f"/members/{customer}/top-ups", {"amount_fen": 50_000}).status_code == 201
    figures = client.get(f"{BASE}/figures").json()
    assert figures["principal_fen"] >= 50_000 and figures["bonus_fen"] >= 5_000
    assert sum(t["customers"] for t in figures["tiers"]) == figures["members"] >= 1
    staff, _ = loyal.login("customer_service")
    refused = staff.get(f"{BASE}/figures")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.forbidden"


def test_a_member_account_statement_and_its_exports(loyal: World) -> None:
    client = _client(loyal)
    c = loyal.staff_customer
    assert _post(client, f"/members/{c}/top-ups", {"amount_fen": 100_000}, "st-top").json()["lines"]
    spent = _post(client, f"/members/{c}/spends", {"amount_fen": 20_000, "reference": "o-1"})
    assert spent.status_code == 201, spent.text
    joined = _post(client, f"/members/{c}/actions", {"action": "join_pool"})
    assert joined.status_code == 201
    redeemed = _post(client, f"/members/{c}/redemptions", {"points": 30}, "st-redeem")
    assert redeemed.status_code == 201
    member = _member(loyal, c)
    balance = member["balance"]
    # 1000 yuan top-up gets the 150-yuan bonus; the spend takes the bonus first
    assert (balance["principal_fen"], balance["bonus_fen"]) == (95_000, 0)
    assert balance["points"] == 70 and balance["points_owed"] == 0 and balance["tier"]
    page = client.get(f"{BASE}/members/{c}/statement?per_page=2").json()
    assert page["total"] >= 6 and len(page["items"]) == 2 and page["pages"] >= 3
    assert page["closing"]["points"] == 70
    last = client.get(f"{BASE}/members/{c}/statement?per_page=2&page={page['pages']}").json()
    assert last["items"] and last["items"][-1]["posting_id"] >= page["items"][0]["posting_id"]
    csv = client.get(f"{BASE}/members/{c}/statement/export?format=csv")
    assert csv.status_code == 200 and csv.text.startswith("\ufeffposting_id,posted_at,kind")
    assert ",spend,sv_bonus,yuan,-150.00," in csv.text and ",redeem,points,points,-30," in csv.text
    xlsx = client.get(f"{BASE}/members/{c}/statement/export?format=xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "posting_id" and len(rows) == page["total"] + 1
    staff, _ = loyal.login("customer_service")
    assert staff.get(f"{BASE}/members/{c}").json()["balance"]["points"] == 70
    hidden = staff.get(f"{BASE}/members/{loyal.other_customer}")
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "customer.not_found"
    naive = client.get(f"{BASE}/members/{c}/statement?since=2026-01-01T00:00:00")
    assert naive.status_code == 422


def test_a_retry_posts_once_and_a_changed_body_is_refused(loyal: World) -> None:
    client = _client(loyal)
    c = loyal.staff_customer
    first = _post(client, f"/members/{c}/top-ups", {"amount_fen": 1_000}, "retry-1")
    before = _books(loyal)
    again = _post(client, f"/members/{c}/top-ups", {"amount_fen": 1_000}, "retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() | {"replayed": True}
    other = _post(client, f"/members/{c}/top-ups", {"amount_fen": 2_000}, "retry-1")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "loyalty.key_reused"
    assert "retry-1" in other.json()["error"]["message"]
    assert _books(loyal) == before


def _bad_inputs(world: World) -> list[tuple[str, Callable[[TestClient], Any], int, str]]:
    c = world.staff_customer
    return [
        ("negative", lambda cl: _post(cl, f"/members/{c}/spends", {"amount_fen": -100}), 422,
         "loyalty.amount_positive"),
        ("zero", lambda cl: _post(cl, f"/members/{c}/redemptions", {"points": 0}), 422,
         "loyalty.amount_positive"),
        ("fraction of a fen", lambda cl: _post(cl, f"/members/{c}/top-ups", {"amount_fen": 10.5}),
         422, "loyalty.amount_whole"),
        ("fraction of a point", lambda cl: _post(cl, f"/members/{c}/redemptions",
                                                 {"points": 1.5}), 422, "loyalty.amount_whole"),
        ("text amount", lambda cl: _post(cl, f"/members/{c}/top-ups", {"amount_fen": "100"}), 422,
         "request.invalid"),
        ("unknown member", lambda cl: _post(cl, "/members/99999999/top-ups", {"amount_fen": 100}),
         404, "loyalty.customer_unknown"),
        ("unknown member read", lambda cl: cl.get(f"{BASE}/members/99999999"), 404,
         "loyalty.customer_unknown"),
        ("no key", lambda cl: cl.post(f"{BASE}/members/{c}/top-ups", json={"amount_fen": 100}),
         422, "loyalty.key_missing"),
        ("too little stored value", lambda cl: _post(cl, f"/members/{c}/spends",
                                                     {"amount_fen": 10**11}), 409,
         "loyalty.insufficient_balance"),
        ("too few points", lambda cl: _post(cl, f"/members/{c}/redemptions", {"points": 10**9}),
         409, "loyalty.insufficient_points"),
        ("unknown plan", lambda cl: _post(cl, f"/members/{c}/cards", {"plan_code": "gold"}), 404,
         "loyalty.plan_unknown"),
        ("unknown spend", lambda cl: _post(cl, "/spends/refunds", {"spend_key": "nope",
                                                                   "amount_fen": 1}), 404,
         "loyalty.posting_unknown"),
    ]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_bad_input_is_a_clear_error_and_changes_nothing(loyal: World, lang: str) -> None:
    client = _client(loyal, lang)
    _post(client, f"/members/{loyal.staff_customer}/top-ups", {"amount_fen": 5_000})
    for name, call, status, code in _bad_inputs(loyal):
        before = _books(loyal)
        response = call(client)
        assert response.status_code == status, (name, response.text)
        error = response.json()["error"]
        assert error["code"] == code, name
        chinese = any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
        assert chinese == (lang == "zh-CN"), (name, error["message"])
        assert _books(loyal) == before, name


def test_cards_buy_renew_cancel_and_an_expired_card(loyal: World) -> None:
    client = _client(loyal)
    c = loyal.other_customer
    bought = _post(client, f"/members/{c}/cards", {"plan_code": "plus"})
    assert bought.status_code == 201, bought.text
    card = bought.json()["card"]
    renewed = _post(client, f"/cards/{card['id']}/renew", {})
    assert renewed.json()["card"]["starts_at"] == card["expires_at"]
    assert _member(loyal, c)["balance"]["tier"] == "black"
    queued = _post(client, f"/cards/{renewed.json()['card']['id']}/cancel")
    assert queued.json()["card"]["refund_fen"] == 36_500  # before its term starts: all of it
    with unit_of_work(loyal.store.sessions) as session:  # a term that ended yesterday
        row = session.get(LoyaltyCard, card["id"])
        assert row is not None
        row.starts_at, row.expires_at = utcnow() - timedelta(days=366), utcnow() - timedelta(days=1)
    before = _books(loyal)
    expired = _post(client, f"/cards/{card['id']}/cancel")
    assert expired.status_code == 409
    assert expired.json()["error"]["code"] == "loyalty.card_expired"
    assert _books(loyal) == before
    assert _post(client, "/cards/99999999/renew", {}).json()["error"]["code"] == (
        "loyalty.card_unknown"
    )


def test_a_card_from_stored_value_and_pro_rata_refunds(loyal: World) -> None:
    client = _client(loyal)
    c = loyal.other_customer
    _post(client, f"/members/{c}/top-ups", {"amount_fen": 40_000})
    before = _member(loyal, c)["balance"]
    paid = _post(client, f"/members/{c}/cards", {"plan_code": "plus", "pay_with": "stored_value"})
    assert paid.status_code == 201, paid.text
    lines = {ln["account"]: ln["amount"] for ln in paid.json()["posting"]["lines"]}
    assert lines["brand:card_revenue"] == 36_500
    assert -lines.get(f"c{c}:sv_principal", 0) - lines.get(f"c{c}:sv_bonus", 0) == 36_500
    after = _member(loyal, c)["balance"]
    assert before["principal_fen"] + before["bonus_fen"] - 36_500 == (
        after["principal_fen"] + after["bonus_fen"]
    )
    back = _post(client, f"/cards/{paid.json()['card']['id']}/cancel")  # cooling-off: all back
    assert back.json()["card"]["refund_fen"] == 36_500
    refunded = _member(loyal, c)["balance"]
    parts = ("principal_fen", "bonus_fen")  # each back to where it came from
    assert [refunded[p] for p in parts] == [before[p] for p in parts]
    assert refunded["principal_fen"] + refunded["bonus_fen"] == (
        before["principal_fen"] + before["bonus_fen"]
    )


def test_refunds_of_spends_top_ups_and_redemptions(loyal: World) -> None:
    client = _client(loyal)
    c = loyal.staff_customer
    _post(client, f"/members/{c}/top-ups", {"amount_fen": 10_000}, "rf-top")
    _post(client, f"/members/{c}/spends", {"amount_fen": 4_000}, "rf-spend")
    spend_back = _post(client, "/spends/refunds", {"spend_key": "rf-spend", "amount_fen": 1_000})
    assert spend_back.status_code == 201
    too_much = _post(client, "/spends/refunds", {"spend_key": "rf-spend", "amount_fen": 3_001})
    assert too_much.json()["error"]["code"] == "loyalty.refund_too_large"
    top_back = _post(client, "/top-ups/refunds", {"topup_key": "rf-top", "amount_fen": 2_000})
    assert top_back.status_code == 201, top_back.text
    _post(client, f"/members/{c}/actions", {"action": "review"})
    _post(client, f"/members/{c}/redemptions", {"points": 15}, "rf-redeem")
    points = _member(loyal, c)["balance"]["points"]
    given = _post(client, "/redemptions/refunds", {"redeem_key": "rf-redeem", "points": 15})
    assert given.status_code == 201 and _member(loyal, c)["balance"]["points"] == points + 15
    again = _post(client, "/redemptions/refunds", {"redeem_key": "rf-redeem", "points": 1})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "loyalty.points_refund_too_large"
    with loyal.store.sessions() as session:
        assert service.audit(session, loyal.workspace_id).issues == []


def test_expiry_and_tier_evaluation_need_their_permissions(loyal: World) -> None:
    client = _client(loyal)
    first = _post(client, "/expire", key="sweep-1")
    again = _post(client, "/expire", key="sweep-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() | {"replayed": True}
    member = _post(client, f"/members/{loyal.staff_customer}/tiers/evaluate")
    assert member.status_code == 200 and member.json()["evaluated"] <= 1
    assert _post(client, "/tiers/evaluate").status_code == 200
    operator, csrf = loyal.login("operator")
    denied = operator.post(f"{BASE}/expire", headers={"X-CSRF-Token": csrf, "Idempotency-Key": "o"})
    assert denied.status_code == 403
    reader = loyal.key_client("loyalty_read")
    scoped = reader.post(f"{BASE}/members/{loyal.staff_customer}/top-ups",
                         json={"amount_fen": 100}, headers={"Idempotency-Key": "r"})  # fmt: skip
    assert scoped.status_code == 403 and scoped.json()["error"]["code"] == "auth.scope"
    with loyal.store.sessions() as session:
        assert service.audit(session, loyal.workspace_id).issues == []


# --- PostgreSQL: requests in parallel through a real server ---------------------------------


@pytest.fixture(scope="module")
def pg_loyal(pg_world: World) -> World:
    """The PostgreSQL world with the programme."""
    return _with_programme(pg_world)


@pytest.fixture(scope="module")
def served(pg_loyal: World) -> Iterator[str]:
    """The app on a real uvicorn server (several worker threads reach PostgreSQL at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(pg_loyal.app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.postgres
def test_parallel_spends_through_the_api_never_overdraw(pg_loyal: World, served: str) -> None:
    headers = {"Authorization": f"Bearer {pg_loyal.keys['loyalty'][0]}"}
    c = pg_loyal.staff_customer
    top = requests.post(f"{served}{BASE}/members/{c}/top-ups", json={"amount_fen": 10_000},
                        headers=headers | {"Idempotency-Key": "pg-top"}, timeout=30)  # fmt: skip
    assert top.status_code == 201, top.text

    def spend(i: int) -> int:
        key = f"pg-spend-{i % 30}"  # every key sent twice: a retry racing its original
        sent = headers | {"Idempotency-Key": key}
        url = f"{served}{BASE}/members/{c}/spends"
        return requests.post(url, json={"amount_fen": 700}, headers=sent, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(spend, range(60)))
    assert set(codes) <= {200, 201, 409}
    balance = requests.get(f"{served}{BASE}/members/{c}", headers=headers, timeout=30).json()[
        "balance"
    ]
    # 10,000 fen + the 0 bonus hold 14 spends of 700; the other keys are refused
    assert balance["principal_fen"] + balance["bonus_fen"] == 10_000 - 14 * 700
    with pg_loyal.store.sessions() as session:
        assert service.audit(session, pg_loyal.workspace_id).issues == []
        spends = session.scalars(
            select(LoyaltyPosting.idempotency_key).where(
                LoyaltyPosting.workspace_id == pg_loyal.workspace_id,
                LoyaltyPosting.kind == "spend",
            )
        ).all()
        assert len(spends) == len(set(spends)) == 14


def test_the_loyalty_page_shows_figures_and_a_member(loyal: World) -> None:
    admin, _ = loyal.login("admin")
    page = admin.get(f"/loyalty?q=%23{loyal.staff_customer}&lang=en")
    assert page.status_code == 200
    assert 'id="loyalty-figures"' in page.text and 'id="chart-tiers"' in page.text
    assert f"Member #{loyal.staff_customer}" in page.text and 'id="statement-table"' in page.text
    assert f"/api/v1/loyalty/members/{loyal.staff_customer}/statement/export" in page.text
    staff, _ = loyal.login("customer_service")
    own = staff.get(f"/loyalty?q=%23{loyal.staff_customer}")
    assert "loyalty-figures" not in own.text and 'id="statement-table"' in own.text
    other = staff.get(f"/loyalty?q=%23{loyal.other_customer}")
    assert 'id="statement-table"' not in other.text and "没有与" in other.text
