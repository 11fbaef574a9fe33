"""End to end over HTTP: the real app under uvicorn, the fake WeCom delivering callbacks.

The fake signs and encrypts join and delete events and POSTs them to the app's
`/wecom/callback`; joiners land as contacts attributed to their channel code, the welcome
message goes out through the general outbox, forged, stale and replayed callbacks are
refused with WeCom's answers and logged without personal data, and a callback whose
processing is cut short by a killed process is processed when the app starts again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from siyu.channels import service as channels
from siyu.channels.schemas import ChannelCodeCreate
from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade
from siyu.models import ChannelJoin, Contact, WeComCallback
from siyu.pool.service import Directory
from siyu.workspaces import service as workspaces
from tests.fakes.wecom import FakeWeCom, post

pytestmark = [pytest.mark.xdist_group("wecom_web")]
GET_CONTACT = "/cgi-bin/externalcontact/get"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class App:
    """The app under uvicorn, restartable, with its store and the fake WeCom."""

    fake: FakeWeCom
    env: dict[str, str]
    home: Path
    sessions: sessionmaker[Session]
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = self.home / f"uvicorn-{port}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "siyu.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                env=self.env, cwd=self.home, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=1)
                break
            except OSError:
                assert self.process.poll() is None, self.logged()
                time.sleep(0.1)
        self.fake.callback_url = f"{self.url}/wecom/callback"

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def logged(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log and self.log.exists() else ""

    def wait_for(self, check: Callable[[Session], Any], timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            with unit_of_work(self.sessions) as s:
                found = check(s)
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


def _seed(engine: Engine) -> None:
    with unit_of_work(make_session_factory(engine)) as s:
        ws = workspaces.ensure(s, "demo")
        directory = Directory(s, ws.id)
        for code in ("wecom_a", "wecom_b"):
            directory.staff_account(code, name=code, daily_capacity=100)
        channels.create_code(s, ws.id, ChannelCodeCreate(
            code="pkg_card_q3", name="包裹卡 Q3", channel="package_card",
            channel_kind="package_card", staff=["wecom_a", "wecom_b"],
            welcome_text="欢迎！回复 1 领取冲泡指南。", cost_per_join_fen=300,
        ))  # fmt: skip


@pytest.fixture
def app(tmp_path: Path, pii_key: str) -> Iterator[App]:
    url = f"sqlite:///{tmp_path / 'siyu.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _seed(engine)
    with FakeWeCom(staff=("wecom_a", "wecom_b")) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")} | {
            "SIYU_HOME": str(tmp_path), "SIYU_DATABASE_URL": url, "SIYU_PII_KEY": pii_key,
            "SIYU_WORKSPACE": "demo", "SIYU_WECOM_CORP_ID": fake.corp_id,
            "SIYU_WECOM_SECRET": fake.secret, "SIYU_WECOM_TOKEN": fake.token,
            "SIYU_WECOM_ENCODING_AES_KEY": fake.aes_key, "SIYU_WECOM_BASE_URL": fake.url,
        }  # fmt: skip
        running = App(fake, env, tmp_path, make_session_factory(engine))
        running.start()
        try:
            yield running
        finally:
            running.stop()
            engine.dispose()


def _joins(s: Session) -> list[tuple[str, int]]:
    return [
        (j.outcome, j.cost_fen) for j in s.scalars(select(ChannelJoin).order_by(ChannelJoin.id))
    ]


def test_url_check_and_joins_land_as_attributed_contacts(app: App) -> None:
    status, answer, echo = app.fake.verify_url()
    assert (status, answer) == (200, echo)

    added = app.fake.customer_adds(
        "wecom_a", "wmEXT0001", state="pkg_card_q3", unionid="ouUNION1", phone="13800000001"
    )
    assert added == (200, "success")
    assert app.fake.customer_adds("wecom_b", "wmEXT0002", state="nope") == (200, "success")
    joins = app.wait_for(lambda s: len(_joins(s)) == 2 and _joins(s))
    assert joins == [("attributed", 300), ("unknown_code", 0)]
    # the welcome message went out through the general outbox within WeCom's 20 seconds
    assert app.wait_for(lambda s: len(app.fake.welcomes) == 1)
    assert app.fake.welcomes[0]["text"]["content"].startswith("欢迎")

    assert app.fake.customer_deletes("wecom_a", "wmEXT0001") == (200, "success")
    left = app.wait_for(lambda s: s.scalar(select(Contact.left_reason).where(
        Contact.left_at.is_not(None))))  # fmt: skip
    assert left == "deleted_by_customer"
    assert "wmEXT0001" not in app.logged() and "13800000001" not in app.logged()


def test_forged_stale_and_replayed_callbacks_are_refused(app: App) -> None:
    fake = app.fake
    query, body = fake.signed_request("<xml><Event>x</Event></xml>")
    forged = dict(query, msg_signature="0" * 40)
    assert post(fake.callback_url, forged, body)[0] == 403
    stale = str(int(time.time()) - 3600)
    assert post(fake.callback_url, *fake.signed_request("<xml/>", timestamp=stale))[0] == 403
    real = fake.signed_request(
        "<xml><Event><![CDATA[change_external_contact]]></Event>"
        "<ChangeType><![CDATA[edit_external_contact]]></ChangeType><CreateTime>1</CreateTime></xml>"
    )
    assert post(fake.callback_url, *real) == (200, "success")
    assert post(fake.callback_url, *real)[0] == 403  # the same signed request again: a replay
    assert post(fake.callback_url, {}, b"<xml/>")[0] == 400
    with unit_of_work(app.sessions) as s:
        assert len(s.scalars(select(WeComCallback)).all()) == 1
    logged = app.logged()
    assert "sdk code -40001" in logged and "refused: stale" in logged
    assert "refused: replayed" in logged


def test_a_callback_cut_short_is_processed_after_restart(app: App) -> None:
    release = app.fake.hold(GET_CONTACT)  # processing waits on WeCom for the contact details
    assert app.fake.customer_adds("wecom_a", "wmEXT0003", state="pkg_card_q3") == (200, "success")
    assert app.wait_for(lambda s: GET_CONTACT in app.fake.held)
    app.kill()  # the process dies while processing the stored callback
    with unit_of_work(app.sessions) as s:
        assert s.scalar(select(WeComCallback.status)) == "pending"
        assert _joins(s) == []
    release.set()
    app.start()
    assert app.wait_for(lambda s: _joins(s)) == [("attributed", 300)]
    with unit_of_work(app.sessions) as s:
        assert s.scalar(select(WeComCallback.status)) == "done"
