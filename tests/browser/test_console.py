"""The console in a real browser: log in, language, every page, an import with bad rows,
a customer portrait, downloads, and what customer-service staff see. Screenshots of each
page go to build/screenshots/ for review."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from siyu.console.nav import NAV
from tests.browser.conftest import Console, charts_drawn, log_in, shot
from tests.fixtures.exports import sample_orders, write_with_bad_rows


def test_log_in_and_the_overview(page: Page, console: Console) -> None:
    page.goto(console.url)
    expect(page).to_have_url(re.compile(r"/login"))
    shot(page, "login-zh")
    log_in(page, console, "admin", "not the password")
    expect(page.locator(".alert.error")).to_contain_text("用户名或密码错误")
    log_in(page, console, "admin")
    expect(page).to_have_url(re.compile(r"/overview$"))
    expect(page.locator("h1")).to_have_text("总览")
    charts_drawn(page)
    assert page.locator("[data-chart][data-rendered]").count() >= 5
    expect(page.locator(".stat").first).to_contain_text("私域池")
    page.click("[data-tab=trend-day]")
    charts_drawn(page)
    shot(page, "overview-zh")


def test_switch_language_and_it_is_remembered(page: Page, console: Console) -> None:
    log_in(page, console, "polyglot")
    expect(page.locator("h1")).to_have_text("总览")
    page.click("button[data-lang=en]")
    expect(page.locator("h1")).to_have_text("Overview")
    charts_drawn(page)
    shot(page, "overview-en")
    page.click("[data-nav=customers]")
    expect(page.locator("h1")).to_have_text("Customers")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("text=Log out")
    log_in(page, console, "polyglot")
    expect(page.locator("h1")).to_have_text("Overview")  # remembered on the account
    page.click("button[data-lang=zh-CN]")
    expect(page.locator("h1")).to_have_text("总览")


def test_every_page_opens(page: Page, console: Console) -> None:
    log_in(page, console, "admin")
    for item in NAV:
        page.click(f"[data-nav={item.key}]")
        expect(page).to_have_url(re.compile(re.escape(item.path) + r"$"))
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator(f"[data-nav={item.key}]")).to_have_class(re.compile("active"))
        if page.locator("[data-chart]").count():
            charts_drawn(page)
        shot(page, f"page-{item.key}")


def test_an_import_with_bad_rows_reports_each_one(
    page: Page, console: Console, tmp_path: Path
) -> None:
    path, expected = write_with_bad_rows(tmp_path, preset="taobao")
    log_in(page, console, "operator")
    page.click("[data-nav=imports]")
    page.select_option("select[name=kind]", "orders")
    page.select_option("select[name=preset]", "taobao")
    page.set_input_files("input[name=file]", str(path))
    page.click("#upload-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/imports/jobs/"))
    rows = page.locator("#rejects tbody tr")
    expect(rows).to_have_count(len(expected), timeout=60_000)
    lines = [int(t) for t in rows.locator("td:nth-child(2)").all_inner_texts()]
    assert lines == [e.line for e in expected]
    columns = rows.locator("td:nth-child(3)").all_inner_texts()
    assert columns == [e.column for e in expected]
    assert all(re.search(r"[\u4e00-\u9fff]", r) for r in rows.locator("td:nth-child(4)")
               .all_inner_texts())  # reasons in Chinese  # fmt: skip
    expect(page.locator(".stats")).to_contain_text(str(len(sample_orders())))
    shot(page, "import-rejects")
    page.click("text=全部导入")
    expect(page.locator("#batches tbody tr").first).to_contain_text(path.name)
    shot(page, "imports")


def test_find_a_customer_by_phone_and_open_the_portrait(page: Page, console: Console) -> None:
    known = next(o for o in sample_orders() if o.phone and "*" not in o.phone)
    log_in(page, console, "admin")
    page.fill("header .search input", known.phone)
    page.press("header .search input", "Enter")
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    expect(page.locator("#identities")).to_contain_text("****")
    content = page.content()
    assert known.phone not in content and known.buyer_id not in content
    expect(page.locator("#orders tbody tr").first).to_be_visible()
    charts_drawn(page)
    shot(page, "portrait")


def test_browse_filter_and_download_customers(page: Page, console: Console) -> None:
    log_in(page, console, "admin")
    page.click("[data-nav=customers]")
    page.select_option("select[name=stage]", "active")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"stage=active"))
    badges = page.locator("#customers-table tbody .badge").all_inner_texts()
    assert badges and set(badges) == {"活跃"}
    with page.expect_download() as download:
        page.click("[data-export=csv]")
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "id" and len(rows) > 1 and {r[4] for r in rows[1:]} == {"active"}
    page.click("#customers-table a >> nth=0")
    expect(page.locator("h1")).to_contain_text("客户 #")


def test_customer_service_sees_only_their_customers(page: Page, console: Console) -> None:
    log_in(page, console, "cs")
    expect(page).to_have_url(re.compile(r"/customers$"))
    expect(page.locator("[data-nav=overview]")).to_have_count(0)
    expect(page.locator("#customers-table tbody tr").first).to_be_visible()
    shot(page, "customer-service")
    page.goto(f"{console.url}/overview")
    expect(page.locator("h1")).to_have_text("403")


def test_settings_create_an_api_key(page: Page, console: Console) -> None:
    log_in(page, console, "admin")
    page.click("[data-nav=settings]")
    page.fill("#new-key-form input[name=name]", "天猫订单同步")
    page.check("#new-key-form input[value='orders:write']")
    page.click("#new-key-form button[type=submit]")
    expect(page.locator("#new-key-value")).to_contain_text("siyu_")
    shot(page, "settings-new-key")
