"""Console pages through HTTP: log-in, roles per page, language, forms with CSRF."""

from __future__ import annotations

import re
import time

import pytest

from siyu.console.nav import NAV
from siyu.db.engine import unit_of_work
from siyu.engage.content import service as content
from siyu.engage.content.schemas import TemplateCreate
from tests.api.conftest import PASSWORD, ROLES, World, log_in

PAGE_ACCESS = {  # who may open each page (written out independently of siyu.accounts.rules)
    "overview": {"admin", "operator", "analyst", "read_only"},
    "channels": {"admin", "operator", "analyst", "read_only"},
    "cohorts": {"admin", "operator", "analyst", "read_only"},
    "customers": set(ROLES),
    "segments": {"admin", "operator", "analyst", "read_only"},
    "groups": {"admin", "operator", "analyst", "read_only"},
    "codes": {"admin", "operator", "analyst", "read_only"},
    "loyalty": set(ROLES),
    "tasks": {"admin", "operator", "customer_service"},
    "campaigns": {"admin", "operator", "analyst", "read_only"},
    "imports": {"admin", "operator", "analyst", "read_only"},
    "audit": {"admin"},
    "settings": set(ROLES),
}


def test_every_page_is_in_the_table() -> None:
    assert {item.key for item in NAV} == set(PAGE_ACCESS)


@pytest.mark.parametrize("role", ROLES)
def test_pages_check_the_role(world: World, role: str) -> None:
    client, _ = world.login(role)
    for item in NAV:
        response = client.get(item.path, follow_redirects=False)
        if role in PAGE_ACCESS[item.key]:
            assert response.status_code == 200, (item.path, response.text[:300])
            assert f'data-nav="{item.key}"' in response.text
        else:
            assert response.status_code == 403, item.path
            assert f'data-nav="{item.key}"' not in response.text  # nor in the sidebar


def test_anonymous_pages_go_to_the_login(world: World) -> None:
    response = world.client().get("/customers?q=1&tier=repeat", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/customers%3Fq%3D1%26tier%3Drepeat"
    assert world.client().get("/", follow_redirects=False).headers["location"] == "/login"


def test_login_goes_back_to_the_page_asked_for_never_elsewhere(world: World) -> None:
    client = world.client()
    page = client.get("/login?next=/imports")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"username": "operator", "password": PASSWORD, "login_token": token.group(1)}
    back = client.post("/login", data=form | {"next": "/imports"}, follow_redirects=False)
    assert back.headers["location"] == "/imports"
    cookie = back.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    other = world.client()
    page = other.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token is not None
    form["login_token"] = token.group(1)
    away = other.post("/login", data=form | {"next": "//evil.cn/x"}, follow_redirects=False)
    assert away.headers["location"] == "/overview"


def test_login_without_the_form_token_is_refused(world: World) -> None:
    client = world.client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def test_a_wrong_password_says_so_in_the_users_language(world: World) -> None:
    client = world.client(headers={"Accept-Language": "en"})
    response = log_in(client, "analyst", "wrong password!")
    assert response.status_code == 401 and "Wrong user name or password" in response.text
    chinese = world.client(headers={"Accept-Language": "zh-CN"})
    assert "用户名或密码错误" in log_in(chinese, "analyst", "wrong password!").text
    assert "用户名或密码错误" in log_in(chinese, "nobody-at-all", "wrong password!").text


def test_repeated_failures_lock_the_name_for_a_while(world: World) -> None:
    client = world.client(headers={"Accept-Language": "en"})
    for _ in range(5):
        assert log_in(client, "read_only", "not the password").status_code == 401
    locked = log_in(client, "read_only", PASSWORD)
    assert locked.status_code == 401 and "Too many failed log-ins" in locked.text
    world.app.state.login_throttle.succeeded("read_only")  # let other tests log in


def test_logout_ends_the_session(world: World) -> None:
    client, csrf = world.login("analyst", fresh=True)
    assert client.get("/overview").status_code == 200
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/overview", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_the_language_choice_is_remembered(world: World) -> None:
    client, csrf = world.login("operator", fresh=True)
    assert "总览" in client.get("/overview").text  # the store's default language
    form = {"lang": "en", "next": "/customers", "csrf_token": csrf}
    switched = client.post("/locale", data=form, follow_redirects=False)
    assert switched.headers["location"] == "/customers"
    assert "Customers" in client.get("/customers").text
    again = world.client()  # a new browser: the account remembers
    log_in(again, "operator", PASSWORD)
    page = again.get("/overview").text
    assert '<html lang="en">' in page and "Overview" in page
    client.post("/locale", data={"lang": "zh-CN", "next": "/", "csrf_token": csrf})


def test_the_language_switch_needs_the_csrf_token(world: World) -> None:
    client, _ = world.login("analyst")
    response = client.post("/locale", data={"lang": "en"})
    assert response.status_code == 403


def test_the_login_page_follows_the_browser_then_the_link(world: World) -> None:
    assert "Log in" in world.client(headers={"Accept-Language": "en-US"}).get("/login").text
    client = world.client(headers={"Accept-Language": "en-US"})
    assert "登录" in client.get("/login?lang=zh-CN").text
    assert "登录" in client.get("/login").text  # remembered in a cookie


def test_numbers_and_money_are_formatted_per_locale(world: World) -> None:
    client, csrf = world.login("admin", fresh=True)
    zh = client.get("/overview").text
    client.post("/locale", data={"lang": "en", "next": "/", "csrf_token": csrf})
    en = client.get("/overview").text
    assert "¥" in zh and "CN¥" not in zh
    assert "CN¥" in en


def test_search_from_the_top_bar_opens_the_one_match(world: World) -> None:
    client, _ = world.login("admin")
    response = client.get(f"/customers?q=%23{world.other_customer}", follow_redirects=False)
    assert response.headers["location"] == f"/customers/{world.other_customer}"
    page = client.get(f"/customers/{world.other_customer}").text
    assert "****" in page
    none = client.get("/customers?q=nobody%20at%20all").text
    assert 'class="empty"' in none


def test_staff_pages_hold_their_own_customers_only(world: World) -> None:
    client, _ = world.login("customer_service")
    listing = client.get("/customers").text
    assert f'href="/customers/{world.staff_customer}"' in listing
    assert f'href="/customers/{world.other_customer}"' not in listing
    assert client.get(f"/customers/{world.other_customer}").status_code == 404


@pytest.mark.parametrize("path", ["/customers/{}", "/imports/{}"])
def test_an_id_too_large_for_a_row_is_a_page_that_says_so(world: World, path: str) -> None:
    client, _ = world.login("admin")
    page = client.get(path.format(10**20))
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "customer_id" in page.text or "batch_id" in page.text


def test_importing_from_the_console_shows_progress_then_rejects(world: World) -> None:
    client, csrf = world.login("operator")
    data = b"channel,day,amount\nsms,2026-03-01,100\nsms,not a day,5\n"
    response = client.post(
        "/imports", data={"kind": "costs", "csrf_token": csrf},
        files={"file": ("费用.csv", data, "text/csv")}, follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    job_page = response.headers["location"]
    assert job_page.startswith("/imports/jobs/")
    world.app.state.jobs.wait(10)
    page = client.get(job_page).text
    assert 'id="rejects"' in page and "费用.csv" in page and "不是日期" in page


def test_an_upload_without_the_token_is_refused(world: World) -> None:
    client, _ = world.login("operator")
    response = client.post("/imports", data={"kind": "costs"},
                           files={"file": ("c.csv", b"a\n", "text/csv")})  # fmt: skip
    assert response.status_code == 403


def test_a_new_api_key_is_shown_once(world: World) -> None:
    client, csrf = world.login("admin")
    form = {"name": "ERP sync", "csrf_token": csrf, "scopes": ["orders:write", "orders:read"]}
    page = client.post("/settings/api-keys", data=form)
    assert page.status_code == 200
    key = re.search(r'id="new-key-value">([^<]+)<', page.text)
    assert key is not None and key.group(1).startswith("siyu_")
    assert page.headers["cache-control"] == "no-store"
    assert key.group(1) not in client.get("/settings").text
    listed = world.client(headers={"Authorization": f"Bearer {key.group(1)}"}).get("/api/v1/me")
    assert listed.json()["permissions"] == ["orders:read", "orders:write"]


def test_the_import_job_polling_endpoint_is_fast(world: World) -> None:
    client, _ = world.login("admin")
    started = time.perf_counter()
    client.get("/api/v1/jobs/none")
    assert time.perf_counter() - started < 1


def test_the_loyalty_page_without_a_programme_says_what_to_do(world: World) -> None:
    client, _ = world.login("operator")
    english = client.get("/loyalty?lang=en").text
    assert "No loyalty programme yet" in english and "siyu loyalty program apply" in english
    assert "尚未设置会员方案" in client.get("/loyalty?lang=zh-CN").text


def test_a_bad_segment_rule_comes_back_in_the_form_and_saves_nothing(world: World) -> None:
    client, csrf = world.login("operator")
    form = {"code": "odd", "name": "奇怪", "rule": "stage in [slient]", "csrf_token": csrf}
    page = client.post("/segments", data=form, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 422
    assert 'id="segment-error"' in page.text and "可选：silent" in page.text
    assert "stage in [slient]" in page.text  # the rule stays in the form to be fixed
    assert client.get("/segments/odd").status_code == 404
    saved = client.post("/segments", data=form | {"rule": "stage in [silent]"},
                        follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"] == "/segments/odd"
    assert 'id="members-table"' not in client.get("/segments/odd").text  # no profiles: empty


def test_a_bad_live_code_comes_back_in_the_form_and_makes_nothing(world: World) -> None:
    client, csrf = world.login("operator")
    form = {"code": "kol_q4", "name": "小红书达人", "channel": "kol", "staff": "cs01",
            "cost_yuan": "4.5元", "welcome_text": "欢迎！", "csrf_token": csrf}  # fmt: skip
    page = client.post("/codes", data=form, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 422 and 'id="code-error"' in page.text and "0.40" in page.text
    assert 'value="4.5元"' in page.text and "欢迎！</textarea>" in page.text  # kept to be fixed
    assert "kol_q4" not in client.get("/codes").text
    made = client.post("/codes", data=form | {"cost_yuan": "4.5"}, follow_redirects=False)
    assert made.status_code == 303 and "kol_q4" in client.get("/codes").text
    again = client.post("/codes", data=form | {"cost_yuan": "4.5"})
    alert = again.text.split('id="code-error">', 1)[-1].split("</div>", 1)[0]
    assert again.status_code == 422 and "kol_q4" in alert  # the taken code, in the user's language


def test_a_campaign_from_the_console_form(world: World) -> None:
    client, csrf = world.login("operator")
    form = {"code": "form-camp", "segment": "buyers", "channel": "sms", "text": "你好 {product}",
            "send_at": "2030-05-01T10:00", "control": "15", "offer": "small",
            "csrf_token": csrf}  # fmt: skip
    bad = client.post("/campaigns", data=form | {"text": "你好 {nonsense}"})
    assert bad.status_code == 422 and "nonsense" in bad.text
    made = client.post("/campaigns", data=form, follow_redirects=False)
    assert made.headers["location"] == "/campaigns/form-camp"
    page = client.get("/campaigns/form-camp").text
    assert 'id="plan-table"' in page and 'id="launch"' in page
    assert "15%" in page and "小额优惠" in page
    assert "form-camp" in client.get("/campaigns").text


def test_the_task_page_of_customer_service_holds_their_own_tasks(world: World) -> None:
    client, csrf = world.login("customer_service")
    page = client.get("/tasks").text
    assert f'data-task="{world.own_task}"' in page
    assert f'data-task="{world.other_task}"' not in page
    other = client.post(f"/tasks/{world.other_task}/skip",
                        data={"reason": "不是我的", "csrf_token": csrf})  # fmt: skip
    assert other.status_code == 404
    done = client.post(f"/tasks/{world.own_task}/skip", data={"reason": "客户出差",
                       "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert "客户出差" in client.get("/tasks").text
    admin, _ = world.login("admin")
    assert f'data-task="{world.other_task}"' in admin.get("/tasks").text


def test_a_campaign_takes_its_message_from_a_library_template(world: World) -> None:
    with unit_of_work(world.store.sessions) as session:
        content.save_template(session, world.workspace_id, TemplateCreate(
            code="spring-card", title="春季新品", text="{tier}您好，春季新品到了"))  # fmt: skip
    client, csrf = world.login("operator")
    form = {"code": "from-template", "segment": "buyers", "channel": "wecom",
            "send_at": "2030-05-01T10:00", "template": "spring-card",
            "csrf_token": csrf}  # fmt: skip
    assert "spring-card · 春季新品" in client.get("/campaigns").text
    unknown = client.post("/campaigns", data=form | {"template": "nope"})
    assert unknown.status_code == 422 and "没有模板“nope”" in unknown.text
    made = client.post("/campaigns", data=form, follow_redirects=False)
    assert made.status_code == 303
    variant = client.get("/api/v1/campaigns/from-template").json()["variants"][0]
    assert variant["content"] == {"text": "{tier}您好，春季新品到了", "title": "春季新品"}
