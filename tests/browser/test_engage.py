"""Segments, campaigns and today's tasks in a real browser: write a rule and watch the count,
save it, send a campaign to it, plan, launch, read its results; a customer-service user works
their own list only. Screenshots go to build/screenshots/."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from siyu.config import Settings
from siyu.engage.tasks import service as tasks
from siyu.kit.clock import utcnow
from siyu.models import StaffAccount, StaffTask, UserAccount
from siyu.store import open_store
from tests.browser.conftest import Console, charts_drawn, log_in, shot


def test_create_a_segment_and_a_campaign_then_plan_launch_and_read_results(
    page: Page, console: Console
) -> None:
    log_in(page, console, "operator")
    page.click("[data-nav=segments]")
    expect(page.locator("h1")).to_have_text("客户分群")
    page.fill("#rule", "stage in [slient]")
    expect(page.locator("#rule-error")).to_contain_text("可选：silent")
    page.fill("#rule", "stage in [active, silent] and n_purchases >= 1")
    expect(page.locator("#rule-count")).to_have_attribute("data-count", re.compile(r"^[1-9]\d*$"))
    expect(page.locator("#rule-error")).to_have_text("")
    counted = int(page.locator("#rule-count").get_attribute("data-count") or 0)
    shot(page, "segment-editor")
    page.fill("input[name=code]", "browser-buyers")
    page.fill("input[name=name]", "活跃与沉默的买家")
    page.click("#segment-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/segments/browser-buyers$"))
    expect(page.locator(".stat-value").first).to_have_text(f"{counted:,}")
    expect(page.locator("#members-table tbody tr").first).to_be_visible()
    shot(page, "segment-members")

    page.click("text=向这个分群发送活动")
    expect(page.locator("select[name=segment]")).to_have_value("browser-buyers")
    page.fill("#campaign-form input[name=code]", "browser-spring")
    page.fill("#campaign-form input[name=name]", "春季新品")
    page.fill("#campaign-form textarea[name=text]", "{tier}您好，春季新品上市")
    page.fill("#campaign-form input[name=control]", "20")
    page.click("#campaign-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/campaigns/browser-spring$"))
    audience = page.locator("#plan-table tr").first
    expect(audience).to_contain_text(f"{counted:,}")
    shot(page, "campaign-plan")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#launch")
    expect(page.locator("#campaign-status")).to_have_text("已发布", timeout=60_000)
    expect(page.locator("#launch-result")).to_contain_text("已分配")
    expect(page.locator("#arms-table tr[data-arm=treatment]")).to_be_visible()
    expect(page.locator("#arms-table tr[data-arm=control]")).to_be_visible()
    expect(page.locator("#uplift-table tbody tr").first).to_be_visible()
    charts_drawn(page)
    shot(page, "campaign-results")
    page.click("#pause-resume")
    expect(page.locator("#campaign-status")).to_have_text("已暂停")
    page.click("[data-nav=campaigns]")
    expect(page.locator("#campaigns-table")).to_contain_text("browser-spring")
    shot(page, "campaigns")


def _own_tasks(console: Console) -> set[int]:
    store = open_store(Settings(home=console.home, database_url=""))
    try:
        with store.sessions() as session:
            user = session.scalar(select(UserAccount).where(UserAccount.username == "cs"))
            assert user is not None and user.staff_account_id is not None
            staff = session.get(StaffAccount, user.staff_account_id)
            assert staff is not None
            day = tasks.today(session, staff.workspace_id, utcnow())
            mine = set(session.scalars(select(StaffTask.id).where(
                StaffTask.staff_account_id == staff.id, StaffTask.day == day)))  # fmt: skip
            everyone = set(session.scalars(select(StaffTask.id).where(StaffTask.day == day)))
    finally:
        store.close()
    assert mine and everyone - mine  # others have lists too
    return mine


def test_customer_service_works_their_own_tasks_only(page: Page, console: Console) -> None:
    mine = _own_tasks(console)
    log_in(page, console, "cs")
    page.click("[data-nav=tasks]")
    expect(page.locator("h1")).to_have_text("今日任务")
    rows = page.locator("#tasks-table tbody tr")
    expect(rows.first).to_be_visible()
    shown = {int(t or 0) for t in (r.get_attribute("data-task") for r in rows.all())}
    assert shown == mine
    expect(page.locator("select[name=staff]")).to_have_count(0)
    shot(page, "tasks-customer-service")
    first = rows.first
    task = first.get_attribute("data-task")
    first.locator("select[name=outcome]").select_option("purchased")
    first.locator("input[name=note]").fill("买了两瓶")
    first.locator("[data-action=done]").click()
    expect(page.locator(f"tr[data-task='{task}']")).to_have_class(re.compile("task-done"))
    expect(page.locator(f"tr[data-task='{task}']")).to_contain_text("已购买")
    other = next(iter(_other_task(console, mine)))
    response = page.request.post(f"{console.url}/api/v1/tasks/{other}/done",
                                 data={"outcome": "purchased"})  # fmt: skip
    assert response.status in (403, 404)  # no CSRF token from here, and not theirs anyway


def _other_task(console: Console, mine: set[int]) -> set[int]:
    store = open_store(Settings(home=console.home, database_url=""))
    try:
        with store.sessions() as session:
            return set(session.scalars(select(StaffTask.id))) - mine
    finally:
        store.close()


def test_admins_see_every_list_and_filter_by_staff(page: Page, console: Console) -> None:
    log_in(page, console, "admin")
    page.click("[data-nav=tasks]")
    expect(page.locator("#tasks-table tbody tr").first).to_be_visible()
    everyone = page.locator("#tasks-table tbody tr").count()
    options = page.locator("select[name=staff] option").all_inner_texts()
    page.select_option("select[name=staff]", options[1])
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"staff="))
    assert page.locator("#tasks-table tbody tr").count() <= everyone
    shot(page, "tasks-admin")
