"""The groups and live-codes pages and the public landing page in a real browser, on the demo
brand (channel codes, groups with a dead one, a referral campaign). Screenshots go to
build/screenshots/ for review."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from siyu.config import Settings
from siyu.db.engine import unit_of_work
from siyu.kit.clock import CHINA_TZ
from siyu.models import Order
from siyu.store import open_store
from tests.browser.conftest import Console, charts_drawn, log_in, shot


def test_groups_show_the_dead_one_and_why(page: Page, console: Console) -> None:
    log_in(page, console, "admin")
    page.click("[data-nav=groups]")
    expect(page.locator("h1")).to_have_text("社群")
    charts_drawn(page)
    first = page.locator("#groups-table tbody tr").first
    expect(first).to_have_attribute("data-status", "dead")
    expect(first.locator(".badge")).to_have_text("已死群")
    expect(first).to_contain_text("群主独角戏")
    assert page.locator("#groups-table tbody tr[data-status=healthy]").count() > 0
    shot(page, "groups-zh")
    with page.expect_download() as download:
        page.click("[data-export=xlsx]")
    rows = list(load_workbook(io.BytesIO(download.value.path().read_bytes())).active.values)
    assert rows[0][0] == "chat_ref" and rows[1][-2] == "dead"
    first.locator("a").click()
    expect(page).to_have_url(re.compile(r"/groups\?group="))
    expect(page.locator(".card-head h2").first).to_contain_text("的每日消息")
    charts_drawn(page)
    page.click("button[data-lang=en]")
    expect(page.locator("h1")).to_have_text("Groups")
    page.goto(f"{console.url}/groups")
    expect(page.locator("#groups-table tbody tr").first).to_contain_text("Acted by the owner alone")
    charts_drawn(page)
    shot(page, "groups-en")
    page.click("button[data-lang=zh-CN]")


def _last_order_day(console: Console) -> str:
    store = open_store(Settings(home=console.home, database_url=""))
    try:
        with unit_of_work(store.sessions) as s:
            last = s.scalar(select(func.max(Order.ordered_at)))
    finally:
        store.close()
    assert last is not None
    return last.astimezone(CHINA_TZ).date().isoformat()


def test_live_codes_downloads_create_and_pause(page: Page, console: Console) -> None:
    log_in(page, console, "operator")
    page.click("[data-nav=codes]")
    expect(page.locator("h1")).to_have_text("活码")
    row = page.locator("#codes-table tr[data-code=red_envelope_card]")
    expect(row).to_be_visible()
    assert int(row.locator("td.num").nth(1).inner_text().replace(",", "")) > 0  # joins
    shot(page, "codes-zh")
    with page.expect_download() as png:
        row.locator("[data-qr=png]").click()
    assert png.value.path().read_bytes()[:4] == b"\x89PNG"
    with page.expect_download() as svg:
        row.locator("[data-qr=svg]").click()
    assert b"<svg" in svg.value.path().read_bytes()
    day = _last_order_day(console)
    page.select_option("#cards-form select[name=code]", "package_card")
    page.fill("#cards-form input[name=since]", day)
    page.fill("#cards-form input[name=until]", day)
    with page.expect_download() as pdf:
        page.click("#cards-form button[type=submit]")
    assert pdf.value.path().read_bytes()[:5] == b"%PDF-"

    form = page.locator("#new-code")
    form.locator("input[name=code]").fill("xhs_kol_q4")
    form.locator("input[name=name]").fill("小红书达人")
    form.locator("input[name=channel]").fill("kol")
    staff = row.locator("td").nth(2).inner_text().split(",")[0].split("\n")[0].strip()
    form.locator("input[name=staff]").fill(staff)
    form.locator("input[name=cost_yuan]").fill("2.50")
    form.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_contain_text("xhs_kol_q4")
    made = page.locator("#codes-table tr[data-code=xhs_kol_q4]")
    expect(made).to_contain_text("¥2.50")
    expect(made.locator(".badge")).to_have_text("启用中")
    made.locator("button[value=paused]").click()
    expect(page.locator("#codes-table tr[data-code=xhs_kol_q4] .badge")).to_have_text("已暂停")

    form = page.locator("#new-code")
    for name, value in (("code", "xhs_kol_bad"), ("name", "坏"), ("channel", "kol"),
                        ("staff", staff), ("cost_yuan", "两块五")):  # fmt: skip
        form.locator(f"input[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    expect(page.locator("#code-error")).to_contain_text("单个加粉成本")
    expect(form.locator("input[name=cost_yuan]")).to_have_value("两块五")  # kept to be fixed
    expect(form.locator("input[name=code]")).to_have_value("xhs_kol_bad")
    page.goto(f"{console.url}/codes")
    expect(page.locator("#codes-table tr[data-code=xhs_kol_bad]")).to_have_count(0)


def test_analysts_see_codes_but_cannot_change_them(page: Page, console: Console) -> None:
    log_in(page, console, "polyglot")
    page.goto(f"{console.url}/codes?lang=en")
    expect(page.locator("h1")).to_have_text("Live codes")
    expect(page.locator("#new-code")).to_have_count(0)
    expect(page.locator("#codes-table button")).to_have_count(0)
    shot(page, "codes-en")


def test_the_landing_page_of_a_code_without_wecom(page: Page, console: Console) -> None:
    page.goto(f"{console.url}/j/red_envelope_card")
    expect(page.locator(".landing-card")).to_have_attribute("data-state", "unavailable")
    expect(page.locator("h1")).to_have_text("暂时无人接待")
    shot(page, "landing-unavailable-zh")
    page.goto(f"{console.url}/j/double11_live?lang=en")
    expect(page.locator("h1")).to_have_text("This code has ended")
    page.goto(f"{console.url}/j/no_such_code")
    expect(page.locator("h1")).to_have_text("码不存在")
    shot(page, "landing-unknown-zh")
