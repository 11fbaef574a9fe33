"""The audit log in a real browser: a clear view from the portrait lands in the log, the log
is filtered and verified, in Chinese and English (screenshots under build/screenshots/)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Console, log_in, shot


def test_a_clear_view_is_logged_and_the_chain_verifies(page: Page, console: Console) -> None:
    log_in(page, console, "admin")
    page.goto(f"{console.url}/customers?q=19900001111")
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    customer = page.url.rsplit("/", 1)[-1]
    expect(page.locator("#name")).to_have_text("林**")
    page.click("[data-reveal=name]")
    expect(page.locator("#name")).to_have_text("林小青")
    expect(page.locator("[data-reveal=name]")).to_have_count(0)
    shot(page, "portrait-revealed-zh")

    page.click("[data-nav=audit]")
    expect(page.locator("h1")).to_have_text("审计日志")
    page.select_option("select[name=action]", "pii.reveal")
    page.click("form.filters button[type=submit]")
    first = page.locator("#audit-table tbody tr").first
    expect(first).to_contain_text("查看明文")
    expect(first).to_contain_text(f"customer:{customer}")
    expect(first).to_contain_text("field=name")
    expect(page.locator("#audit-table")).not_to_contain_text("林小青")

    page.click("#verify")
    expect(page.locator("#verify-result")).to_contain_text("审计日志完整")
    expect(page.locator("#verify-result")).to_have_class(re.compile("success"))
    shot(page, "audit-zh")

    page.click("button[data-lang=en]")
    expect(page.locator("h1")).to_have_text("Audit log")
    expect(page.locator("#verify-result")).to_contain_text("Audit log intact")
    shot(page, "audit-en")
    page.click("button[data-lang=zh-CN]")


def test_analysts_see_masked_values_and_no_show_button(page: Page, console: Console) -> None:
    log_in(page, console, "polyglot")
    page.goto(f"{console.url}/customers?q=19900001111")
    expect(page.locator("#name")).to_have_text("林**")
    expect(page.locator("[data-reveal]")).to_have_count(0)
    expect(page.locator("#identities")).not_to_contain_text("19900001111")
    expect(page.locator("[data-nav=audit]")).to_have_count(0)
