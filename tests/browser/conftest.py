"""A live console on a small demo brand, and the machine's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy import func, select

from siyu.accounts import service as accounts
from siyu.accounts.rules import Role
from siyu.config import Settings
from siyu.db.engine import unit_of_work
from siyu.models import Contact, StaffAccount, StaffTask
from siyu.store import open_store
from siyu.workspaces import service as workspaces
from tests.fixtures.exports import write_taobao_csv

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
PASSWORD = "browser test password"
USERS = {"admin": Role.ADMIN, "operator": Role.OPERATOR, "polyglot": Role.ANALYST,
         "cs": Role.CUSTOMER_SERVICE}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is a browser test (and they share one server: keep them on one worker)."""
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@dataclass(frozen=True)
class Console:
    """The running console."""

    url: str
    home: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _siyu(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "siyu", *args], env=env, capture_output=True,
                          text=True, timeout=600, cwd=env["SIYU_HOME"])  # fmt: skip
    assert done.returncode == 0, done.stderr


def _seed_users(home: Path) -> None:
    store = open_store(Settings(home=home, database_url=""))
    try:
        with unit_of_work(store.sessions) as session:
            ws = workspaces.require(session, "demo")
            # customer service works the staff account with the longest list today
            staff = session.scalar(
                select(StaffAccount)
                .outerjoin(StaffTask, StaffTask.staff_account_id == StaffAccount.id)
                .where(StaffAccount.workspace_id == ws.id)
                .group_by(StaffAccount.id)
                .order_by(func.count(StaffTask.id).desc(), StaffAccount.id)
                .limit(1)
            )
            assert staff is not None
            for name, role in USERS.items():
                code = staff.code if role is Role.CUSTOMER_SERVICE else ""
                accounts.create_user(session, ws.id, username=name, password=PASSWORD, role=role,
                                     staff_code=code)  # fmt: skip
            assert session.query(Contact).filter_by(staff_account_id=staff.id).count() > 0
    finally:
        store.close()


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """siyu init, a 2,000-order demo brand, the daily run, today's tasks, users, then
    `uvicorn` on a free port."""
    home = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env |= {"SIYU_HOME": str(home), "SIYU_LOCALE": "zh-CN", "SIYU_WORKSPACE": "demo"}
    _siyu(env, "init")
    _siyu(env, "demo", "load", "--orders", "2000", "--seed", "7")
    _siyu(env, "import", "orders", str(write_taobao_csv(home)))  # known buyers to search for
    _siyu(env, "run")
    _siyu(env, "tasks", "generate")  # today's lists for the staff accounts
    _seed_users(home)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "siyu.app:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env=env, cwd=home,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/v1/health", timeout=1)
                break
            except OSError:
                assert server.poll() is None, "the console did not start"
                time.sleep(0.1)
        yield Console(url, home)
    finally:
        server.terminate()
        server.wait(timeout=30)


def chromium_path() -> str:
    """The Debian chromium binary (scripts/ensure-chromium.sh installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("no chromium on this machine: run `bash scripts/ensure-chromium.sh`")
    return found


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (no browser download: the system Chromium is launched)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium."""
    launched = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    """A fresh browser context in Chinese; any request leaving the machine fails the test."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900},
                                  accept_downloads=True)  # fmt: skip
    outside: list[str] = []

    def guard(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        if not request.url.startswith(console.url):
            outside.append(request.url)
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]

    context.route("**/*", guard)
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()
    assert not outside, f"requests left siyu: {outside}"


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot for review under build/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, console: Console, username: str, password: str = PASSWORD) -> None:
    """Log in through the form."""
    page.goto(f"{console.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def charts_drawn(page: Page) -> None:
    """Wait until every visible chart has been drawn by Plotly."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".filter(e => e.offsetParent !== null).every(e => e.dataset.rendered)"
    )
