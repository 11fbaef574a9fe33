"""`siyu worker` killed mid-batch loses nothing and sends nothing twice to a receiver that
honours idempotency keys (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from siyu.config import Settings
from siyu.db.engine import unit_of_work
from siyu.kit.clock import utcnow
from siyu.messaging import service
from siyu.models import DeliveryAttempt, OutboxMessage
from siyu.store import open_store
from siyu.workspaces import service as workspaces
from tests.cli.test_cli import siyu
from tests.pgserver import PostgresServer
from tests.servers import HttpEndpoint

MESSAGES = 300


def _env(home: Path, url: str, sink: HttpEndpoint) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env |= {
        "SIYU_HOME": str(home),
        "SIYU_LOCALE": "en",
        "SIYU_WEBHOOK_URL": sink.url,
        "SIYU_WEBHOOK_SECRET": "shh",
        "SIYU_DELIVERY_TIMEOUT": "5",
        "COLUMNS": "200",
    }
    if url:
        env["SIYU_DATABASE_URL"] = url
    return env  # fmt: skip


def _kill_and_resume(home: Path, url: str = "") -> None:
    assert siyu(home, "init", url=url).returncode == 0
    settings = Settings(home=home, database_url=url)
    opened = open_store(settings)
    with unit_of_work(opened.sessions) as session:
        workspace_id = workspaces.require(session, "demo").id
        keys = [f"campaign:9:{i}" for i in range(MESSAGES)]
        service.enqueue(session, workspace_id, channel="webhook", keys=keys,
                        payloads=[{"text": f"m{i}"} for i in range(MESSAGES)],
                        send_at=[utcnow() - timedelta(seconds=1)] * MESSAGES,
                        source_kind="campaign", source_id=9,
                        targets=["app"] * MESSAGES)  # fmt: skip
    sink = HttpEndpoint(kind="webhook", secret="shh").start()
    sink.behaviour.delay = 0.03
    env = _env(home, url, sink)
    command = [sys.executable, "-m", "siyu", "worker", "--batch", "20", "--concurrency", "4",
               "--lease-seconds", "3", "--poll", "0.1"]  # fmt: skip
    first = subprocess.Popen(command, env=env, cwd=home, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        # 107: in the middle of a batch of 20 (at a batch's end the worker may be between
        # recording one batch and claiming the next, holding nothing)
        while len(sink.record.effects) < 107 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)  # mid-batch: sends in flight, results unrecorded
        first.wait(timeout=30)
        at_kill = len(sink.record.effects)
        assert 0 < at_kill < MESSAGES
        time.sleep(3.5)  # the dead worker's leases run out
        second = subprocess.run([*command, "--once"], env=env, cwd=home, capture_output=True,
                                text=True, timeout=300)  # fmt: skip
        assert second.returncode == 0, second.stderr
    finally:
        if first.poll() is None:
            first.kill()
        sink.stop()
    assert set(sink.record.effects) == set(keys)  # nothing lost
    assert max(sink.record.keys.values()) <= 2  # in flight at the kill: sent again, same key
    with unit_of_work(opened.sessions) as session:
        statuses = dict(session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all())  # fmt: skip
        lost = session.scalar(select(func.count()).where(DeliveryAttempt.outcome == "lost"))
    opened.close()
    assert statuses == {"sent": MESSAGES}
    assert lost  # the killed worker held claimed messages: the next one took them over
    resent = sum(1 for n in sink.record.keys.values() if n > 1)
    assert resent <= lost  # only messages whose lease was lost went out twice
    shown = siyu(home, "outbox", "status", url=url)
    assert shown.returncode == 0 and "webhook" in shown.stdout and "300" in shown.stdout
    log = siyu(home, "outbox", "log", "1", url=url)
    assert log.returncode == 0 and "sent" in log.stdout


def test_killed_worker_loses_nothing_on_sqlite(tmp_path: Path) -> None:
    _kill_and_resume(tmp_path)


@pytest.mark.postgres
def test_killed_worker_loses_nothing_on_postgresql(
    tmp_path: Path, pg_server: PostgresServer
) -> None:
    _kill_and_resume(tmp_path, pg_server.create_database(f"kill_{uuid.uuid4().hex[:8]}"))
