"""Hardening through HTTP: headers on every response, rate limits answering 429 with
Retry-After, upload limits and type checks, and refusing weak production settings."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from siyu.app import create_app
from siyu.config import Settings
from siyu.kit.crypto import generate_key
from siyu.store import Store
from siyu.web.hardening import ProductionSettingsError, production_problems
from tests.api.conftest import World, log_in, order_event, post_event


def app_with(world: World, **settings: Any) -> TestClient:
    """A second app on the world's store with changed settings."""
    changed = world.store.settings.model_copy(update=settings)
    store = Store(changed, world.store.engine, world.store.sessions, world.store.cipher)
    return TestClient(create_app(store))


@pytest.mark.parametrize(
    "path", ["/login", "/api/v1/health", "/api/v1/nowhere", "/static/siyu.css", "/overview"]
)
def test_every_response_carries_the_security_headers(world: World, path: str) -> None:
    response = world.client().get(path, follow_redirects=False)
    headers = response.headers
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "strict-transport-security" not in headers  # plain http: HSTS would be ignored


def test_hsts_under_https(world: World) -> None:
    client = TestClient(world.app, base_url="https://testserver")
    hsts = client.get("/api/v1/health").headers["strict-transport-security"]
    assert hsts.startswith("max-age=31536000")


def test_log_ins_per_address_are_limited(world: World) -> None:
    client = app_with(world, rate_login_per_minute=3)
    for _ in range(3):
        assert log_in(client, "admin", "wrong password!!").status_code == 401
    refused = log_in(client, "admin", "wrong password!!")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 20
    body = refused.json()["error"]
    assert body["code"] == "rate.limited" and "请求过于频繁" in body["message"]
    english = client.post("/login", headers={"Accept-Language": "en"}, data={})
    assert english.status_code == 429 and "Too many requests" in english.json()["error"]["message"]
    assert client.get("/login").status_code == 200  # only the attempts are limited


def test_webhooks_are_limited_per_key(world: World) -> None:
    client = app_with(world, rate_webhook_per_minute=2)
    for n in range(2):
        assert post_event(world, client, order_event(f"RL-{n}")).status_code in (200, 201, 202)
    refused = post_event(world, client, order_event("RL-3"))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    other = post_event(world, client, order_event("RL-4"), key="webhook_readonly")
    assert other.status_code == 403  # another key has its own bucket (and lacks the scope)


@pytest.mark.parametrize("path", ["/wecom/callback?echostr=x", "/j/abc123"])
def test_public_endpoints_are_limited_per_address(world: World, path: str) -> None:
    client = app_with(world, rate_public_per_minute=2)
    codes = [client.get(path).status_code for _ in range(3)]
    assert codes[2] == 429 and 429 not in codes[:2]


def _upload(client: TestClient, csrf: str, name: str, data: bytes) -> Any:
    return client.post(
        "/api/v1/imports", headers={"X-CSRF-Token": csrf, "Accept-Language": "en"},
        data={"kind": "products"}, files={"file": (name, io.BytesIO(data), "text/csv")},
    )  # fmt: skip


def _uploads(world: World) -> list[Path]:
    folder = world.store.settings.home / "uploads"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_wrong_type_is_refused_and_nothing_kept(world: World) -> None:
    client, csrf = world.login("operator")
    before = _uploads(world)
    fake = _upload(client, csrf, "products.xlsx", b"sku,name,price\nA,B,1\n")
    assert fake.status_code == 422 and fake.json()["error"]["code"] == "upload.wrong_type"
    assert "products.xlsx" in fake.json()["error"]["message"]
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("x.txt", "hello")
    renamed = _upload(client, csrf, "products.csv", book.getvalue())
    assert renamed.status_code == 422 and renamed.json()["error"]["code"] == "upload.wrong_type"
    script = _upload(client, csrf, "products.exe", b"MZ\x90\x00")
    assert script.status_code == 422
    assert _uploads(world) == before


def test_a_zip_bomb_is_refused_before_it_is_expanded(world: World) -> None:
    client, csrf = world.login("operator")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 2**20))  # 64 MiB → ~64 KiB
    assert len(bomb.getvalue()) < 2**20
    refused = _upload(client, csrf, "orders.xlsx", bomb.getvalue())
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "upload.zip_bomb" and "refused before opening" in error["message"]


def test_an_upload_over_the_limit_is_refused_before_it_is_read(world: World) -> None:
    client = app_with(world, upload_max_mb=1)
    log_in(client, "operator", "correct horse battery")
    csrf = client.get("/api/v1/me").json()["csrf_token"]
    big = b"sku,name,price\n" + b"A,B,1\n" * 200_000
    refused = _upload(client, csrf, "big.csv", big)
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "upload.too_large"
    assert "SIYU_UPLOAD_MAX_MB" in refused.json()["error"]["message"]


def test_production_refuses_default_or_missing_secrets(tmp_path: Path) -> None:
    assert production_problems(Settings(home=tmp_path, environment="development")) == []
    weak = Settings(home=tmp_path, environment="production", pii_key="A" * 43 + "=",
                    wecom_corp_id="ww1", wecom_secret="changeme")  # fmt: skip
    names = [p.setting for p in production_problems(weak)]
    assert names == ["SIYU_PII_KEY", "SIYU_PUBLIC_BASE_URL", "SIYU_WECOM_SECRET",
                     "SIYU_WECOM_TOKEN", "SIYU_WECOM_ENCODING_AES_KEY"]  # fmt: skip
    strong = Settings(home=tmp_path, environment="production", pii_key=generate_key(),
                      public_base_url="https://crm.brand.cn", wecom_corp_id="ww1",
                      wecom_secret="s" + generate_key(), wecom_token="t" + generate_key(),
                      wecom_encoding_aes_key=generate_key()[:43])  # fmt: skip
    assert production_problems(strong) == []
    with pytest.raises(ProductionSettingsError) as caught:
        create_app(settings=Settings(home=tmp_path, environment="production"))
    text = caught.value.message("en")
    assert "SIYU_PII_KEY" in text and "Refusing to start" in text and "拒绝启动" in text
