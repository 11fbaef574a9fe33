"""The loyalty page in a real browser on the demo brand: figures, a member and downloads."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from siyu.config import Settings
from siyu.models import LoyaltyAccount
from siyu.store import open_store
from siyu.workspaces import service as workspaces
from tests.browser.conftest import Console, charts_drawn, log_in, shot


def _member_with_stored_value_and_points(console: Console) -> int:
    store = open_store(Settings(home=console.home, database_url=""))
    try:
        with store.sessions() as session:
            ws = workspaces.require(session, "demo").id
            owners = {
                kind: set(session.scalars(select(LoyaltyAccount.customer_id).where(
                    LoyaltyAccount.workspace_id == ws, LoyaltyAccount.kind == kind,
                    LoyaltyAccount.balance > 0)))
                for kind in ("points", "sv_principal")
            }  # fmt: skip
    finally:
        store.close()
    both = owners["points"] & owners["sv_principal"]
    assert both, "the demo brand has members with points and stored value"
    return min(both)


def test_the_loyalty_page_on_the_demo_brand(page: Page, console: Console) -> None:
    customer = _member_with_stored_value_and_points(console)
    log_in(page, console, "admin")
    page.click("[data-nav=loyalty]")
    expect(page.locator("h1")).to_have_text("会员与积分")
    figures = page.locator("#loyalty-figures")
    expect(figures).to_contain_text("会员")
    expect(figures).to_contain_text("储值：本金")
    expect(figures).to_contain_text("生效中的会员卡")
    charts_drawn(page)
    assert page.locator("#chart-tiers[data-rendered]").count() == 1
    page.fill("#member-lookup input[name=q]", f"#{customer}")
    page.click("#member-lookup button[type=submit]")
    expect(page.locator("#member h2")).to_contain_text(f"会员 #{customer}")
    expect(page.locator("#statement-table tbody tr").first).to_be_visible()
    with page.expect_download() as download:
        page.click("[data-export=csv]")
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.startswith("posting_id,posted_at,kind,account,unit,amount,balance")
    assert re.search(r",sv_principal,yuan,\d+\.\d\d,", text)
    shot(page, "loyalty-zh")
    page.click("button[data-lang=en]")
    expect(page.locator("h1")).to_have_text("Loyalty")
    expect(page.locator("#member h2")).to_contain_text(f"Member #{customer}")
    charts_drawn(page)
    shot(page, "loyalty-en")
    page.click("button[data-lang=zh-CN]")
