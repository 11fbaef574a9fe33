"""The REST API: errors, languages, pagination, filters, search, portrait, exports, OpenAPI."""

from __future__ import annotations

import csv
import io
import time

import pytest
from openapi_spec_validator import validate
from openpyxl import load_workbook

from tests.api.conftest import PASSWORD, World, log_in
from tests.fixtures.exports import sample_orders


def test_openapi_document_is_valid(world: World) -> None:
    document = world.client().get("/api/v1/openapi.json").json()
    validate(document)
    assert document["info"]["title"] == "siyu"
    assert all(path.startswith("/api/v1/") for path in document["paths"])
    error = document["components"]["schemas"]["ErrorResponse"]
    assert error["properties"]["error"]["$ref"].endswith("/ErrorBody")


def test_no_swagger_ui_from_a_cdn(world: World) -> None:
    assert world.client().get("/docs").status_code == 404


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Log in, or send an API key"), ("zh-CN,zh;q=0.9", "请先登录")]
)
def test_errors_carry_a_code_and_a_message_in_the_callers_language(
    world: World, language: str, expected: str
) -> None:
    response = world.client().get("/api/v1/customers", headers={"Accept-Language": language})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "auth.required"
    assert expected in error["message"]


def test_not_found_and_method_errors_have_the_same_body(world: World) -> None:
    client = world.key_client("all")
    missing = client.get("/api/v1/customers/999999", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "customer.not_found", "message": "No customer #999999 here."}
    }
    nowhere = client.get("/api/v1/nothing")
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "http.not_found"
    wrong = client.put("/api/v1/customers")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "http.method"


def test_validation_errors_say_where_but_never_echo_the_value(world: World) -> None:
    client = world.key_client("all")
    response = client.get("/api/v1/customers?per_page=13800138000&page=0")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "request.invalid"
    assert {tuple(d["loc"]) for d in error["details"]} == {("query", "per_page"), ("query", "page")}
    assert "13800138000" not in response.text
    zh = client.get(
        "/api/v1/customers?per_page=13800138000&page=0", headers={"Accept-Language": "zh-CN"}
    )
    chinese = zh.json()["error"]["message"]
    assert "query.per_page: 须不大于 500" in chinese and "query.page: 须不小于 1" in chinese
    assert "13800138000" not in chinese


def test_pagination(world: World) -> None:
    client = world.key_client("all")
    first = client.get("/api/v1/orders?per_page=2").json()
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 2, 5, 3)
    last = client.get("/api/v1/orders?per_page=2&page=3").json()
    assert len(first["items"]) == 2 and len(last["items"]) == 1
    ids = [o["id"] for p in (1, 2, 3) for o in
           client.get(f"/api/v1/orders?per_page=2&page={p}").json()["items"]]  # fmt: skip
    assert len(set(ids)) == 5
    beyond = client.get("/api/v1/orders?per_page=2&page=9").json()
    assert beyond["items"] == [] and beyond["total"] == 5


def test_order_filters(world: World) -> None:
    client = world.key_client("all")
    mine = client.get(f"/api/v1/orders?customer_id={world.other_customer}").json()
    assert mine["total"] >= 1
    assert {o["customer_id"] for o in mine["items"]} == {world.other_customer}
    completed = client.get("/api/v1/orders?status=completed").json()["items"]
    assert completed and {o["status"] for o in completed} == {"completed"}
    first = min(o.ordered_at for o in sample_orders())
    since = client.get(
        "/api/v1/orders", params={"since": (first.replace(microsecond=1)).isoformat()}
    ).json()
    assert since["total"] == 4
    lines = client.get("/api/v1/orders").json()["items"][0]["lines"]
    assert lines and {"sku", "quantity", "amount_fen"} <= set(lines[0])


def test_search_by_phone_buyer_id_and_customer_id(world: World) -> None:
    client = world.key_client("customers")
    order = next(o for o in sample_orders() if "*" not in o.phone and o.phone)
    by_phone = client.get("/api/v1/customers", params={"q": order.phone}).json()["items"]
    assert len(by_phone) == 1
    found = by_phone[0]["id"]
    spaced = client.get("/api/v1/customers", params={"q": f"+86 {order.phone}"}).json()
    assert [c["id"] for c in spaced["items"]] == [found]
    by_buyer = client.get("/api/v1/customers", params={"q": order.buyer_id}).json()["items"]
    assert [c["id"] for c in by_buyer] == [found]
    by_id = client.get("/api/v1/customers", params={"q": f"#{found}"}).json()["items"]
    assert [c["id"] for c in by_id] == [found]
    assert client.get("/api/v1/customers", params={"q": "19999999999"}).json()["total"] == 0
    assert client.get("/api/v1/customers", params={"q": order.phone[:6]}).json()["total"] == 0


def test_search_by_exact_full_name(world: World) -> None:
    client = world.key_client("customers")
    order = next(o for o in sample_orders() if o.receiver_name)
    found = client.get("/api/v1/customers", params={"q": f" {order.receiver_name} "}).json()
    assert found["total"] >= 1
    portrait = client.get(f"/api/v1/customers/{found['items'][0]['id']}").json()
    assert portrait["name_masked"].startswith(order.receiver_name[0])
    assert order.receiver_name not in str(portrait)


def test_portrait_shows_masked_identities_only(world: World) -> None:
    client = world.key_client("all")
    body = client.get(f"/api/v1/customers/{world.staff_customer}").json()
    assert body["identities"] and all("*" in i["masked"] for i in body["identities"])
    for order in sample_orders():
        for secret in (order.phone, order.buyer_id, order.address):
            if secret and "*" not in secret:
                assert secret not in str(body)
    assert body["contacts"][0]["staff_code"] == "cs01"
    orders = client.get(f"/api/v1/customers/{world.staff_customer}/orders").json()
    assert orders["total"] >= 1
    assert "receiver" not in str(orders).lower()


def test_customer_filters_and_sorts(world: World) -> None:
    client = world.key_client("customers")
    everyone = client.get("/api/v1/customers").json()
    assert everyone["total"] >= 4
    assert client.get("/api/v1/customers?tier=member").json()["total"] == 0  # no profiles yet
    for sort in ("id", "clv", "spend", "recent"):
        assert client.get(f"/api/v1/customers?sort={sort}").status_code == 200
    assert client.get("/api/v1/customers?sort=nonsense").status_code == 422


def test_csv_export_for_excel(world: World) -> None:
    client = world.key_client("all")
    response = client.get("/api/v1/orders/export?format=csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="orders.csv"' in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "platform_order_id", "shop"]
    assert len(rows) == 6
    paid = {r[1]: r[8] for r in rows[1:]}
    first = sample_orders()[0]
    assert paid[first.order_id] == f"{first.amount_fen // 100}.{first.amount_fen % 100:02d}"


def test_xlsx_export_of_customers(world: World) -> None:
    response = world.key_client("all").get("/api/v1/customers/export?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("id", "identity_masked")
    assert len(rows) > 4
    assert all("*" in (r[1] or "*") for r in rows[1:])


def test_export_format_is_checked(world: World) -> None:
    response = world.key_client("all").get("/api/v1/orders/export?format=pdf")
    assert response.status_code == 422


def test_csrf_is_required_for_cookie_writes(world: World) -> None:
    admin, csrf = world.login("admin")
    body = {"name": "x", "scopes": ["customers:read"]}
    missing = admin.post("/api/v1/api-keys", json=body)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "auth.csrf"
    wrong = admin.post("/api/v1/api-keys", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    foreign = admin.post(
        "/api/v1/api-keys", json=body, headers={"X-CSRF-Token": csrf, "Origin": "https://evil.cn"}
    )
    assert foreign.status_code == 403
    good = admin.post("/api/v1/api-keys", json=body, headers={"X-CSRF-Token": csrf})
    assert good.status_code == 201
    assert good.json()["key"].startswith("siyu_") and good.json()["signing_secret"]
    listed = admin.get("/api/v1/api-keys").json()
    assert all("key" not in k and "signing_secret" not in k for k in listed)


def test_user_management_keeps_one_admin(world: World) -> None:
    admin, csrf = world.login("admin")
    headers = {"X-CSRF-Token": csrf}
    short = admin.post("/api/v1/users", json={"username": "shorty", "password": "short",
                                              "role": "operator"}, headers=headers)  # fmt: skip
    assert short.status_code == 422 and short.json()["error"]["code"] == "user.password_short"
    taken = admin.post("/api/v1/users", json={"username": "operator", "password": PASSWORD,
                                              "role": "operator"}, headers=headers)  # fmt: skip
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "user.exists"
    me = next(u for u in admin.get("/api/v1/users").json() if u["username"] == "admin")
    demote = admin.patch(f"/api/v1/users/{me['id']}", json={"role": "analyst"}, headers=headers)
    assert demote.status_code == 409 and demote.json()["error"]["code"] == "user.last_admin"
    new = {"username": "temp-op", "password": PASSWORD, "role": "operator"}
    made = admin.post("/api/v1/users", json=new, headers=headers).json()
    client = world.client()
    assert log_in(client, "temp-op", PASSWORD).status_code == 303
    assert client.get("/api/v1/me").status_code == 200
    off = admin.patch(f"/api/v1/users/{made['id']}", json={"active": False}, headers=headers)
    assert off.json()["active"] is False
    assert client.get("/api/v1/me").status_code == 401  # its sessions ended
    assert log_in(world.client(), "temp-op", PASSWORD).status_code == 401


def test_staff_link_must_exist(world: World) -> None:
    admin, csrf = world.login("admin")
    response = admin.post(
        "/api/v1/users",
        json={"username": "cs-x", "password": PASSWORD, "role": "customer_service",
              "staff_account": "nobody"},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "user.staff_unknown"


def test_overview_figures(world: World) -> None:
    body = world.key_client("all").get("/api/v1/overview?window_days=3650").json()
    orders = sample_orders()
    sold = [o for o in orders if o.status in ("paid", "shipped", "completed")]
    assert body["total"]["orders"] == len(sold)
    assert body["total"]["gmv_fen"] == sum(o.amount_fen for o in sold)
    assert body["private"]["orders"] == 0 and body["public"]["orders"] == len(sold)
    assert body["as_of"] is None  # no `siyu run` on this store
    assert [r["key"] for r in body["ladder"]] == [
        "potential", "bought_once", "repeat", "multi_repeat", "member"
    ]  # fmt: skip
    trend = world.key_client("all").get("/api/v1/overview/trend?grain=year").json()
    assert len(trend["points"]) == 10
    assert sum(p["orders"] for p in trend["points"]) == len(sold)


def test_imports_through_the_api_report_rejects(world: World, tmp_path: object) -> None:
    client = world.key_client("all")
    data = "sku,name,role,price\nSKU-A,好茶,profit,12.5\nSKU-B,,profit,1\nSKU-C,坏价,profit,abc\n"
    response = client.post(
        "/api/v1/imports", data={"kind": "products"},
        files={"file": ("../../etc/目录.csv", data.encode(), "text/csv")},
    )  # fmt: skip
    assert response.status_code == 202
    job = response.json()
    for _ in range(100):
        job = client.get(f"/api/v1/jobs/{job['id']}", headers={"Accept-Language": "en"}).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "done", job
    result = job["result"]
    assert (result["accepted"], result["rejected"], result["file"]) == (1, 2, "目录.csv")
    assert [(r["line"], r["column"]) for r in result["rejects"]] == [(3, "name"), (4, "price")]
    assert "amount" in result["rejects"][1]["reason"] and "|" not in result["rejects"][1]["reason"]
    batch = result["batch_id"]
    zh = client.get(f"/api/v1/imports/{batch}/rejects", headers={"Accept-Language": "zh-CN"})
    assert zh.json()["total"] == 2 and "金额" in zh.json()["items"][1]["reason"]
    batches = client.get("/api/v1/imports").json()["items"]
    assert batches[0]["id"] == batch and batches[0]["kind"] == "products"
    exported = client.get(f"/api/v1/imports/{batch}/rejects/export?format=csv")
    assert exported.content.decode("utf-8-sig").count("\n") == 3


def test_an_order_preset_must_be_built_in(world: World) -> None:
    response = world.key_client("all").post(
        "/api/v1/imports", data={"kind": "orders", "preset": "/etc/passwd.yaml"},
        files={"file": ("o.csv", b"a,b\n1,2\n", "text/csv")},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "import.preset_web"


def test_a_failed_import_job_reports_why(world: World) -> None:
    client = world.key_client("all")
    job = client.post("/api/v1/imports", data={"kind": "orders"},
                      files={"file": ("empty.csv", b"", "text/csv")}).json()  # fmt: skip
    for _ in range(100):
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "failed"
    assert job["error"]["code"] == "import.unreadable"


def test_security_headers(world: World) -> None:
    response = world.client().get("/api/v1/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]
