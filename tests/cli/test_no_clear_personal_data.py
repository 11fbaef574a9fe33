"""Personal data never lies in clear: after a demo, an import with phones and names, WeCom
callbacks, worker deliveries and a key rotation, neither the raw SQLite file, the snapshot nor
the log files hold any known clear value, nor any byte of the keys."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from siyu.config import Settings
from siyu.consent import repository as consents
from siyu.db.engine import unit_of_work
from siyu.kit.clock import utcnow
from siyu.kit.crypto import parse_keys
from siyu.kit.logs import log_to_file
from siyu.messaging import service as messaging
from siyu.models import Contact, Identity, Order
from siyu.pool.service import Directory
from siyu.store import open_store
from siyu.wecom.callback import CallbackReceiver
from siyu.wecom.client import WeComClient
from siyu.wecom.crypto import WeComCrypto
from siyu.wecom.httpserver import make_server, serve_in_thread
from siyu.workspaces import service as workspaces
from tests.cli.test_cli import siyu
from tests.fakes.wecom import FakeWeCom
from tests.fixtures.exports import sample_orders, write_taobao_csv
from tests.servers import HttpEndpoint

WECOM_PERSON = {"external_userid": "wmPrivacyCheck0001", "unionid": "oUprivacyCheck1",
                "phone": "13987654321", "name": "钱多多"}  # fmt: skip


def _clear_values() -> set[str]:
    values = set(WECOM_PERSON.values())
    for order in sample_orders("taobao"):
        values |= {order.buyer_id, order.receiver_name, order.address}
        if "*" not in order.phone:
            values.add(order.phone)
    return {v for v in values if v}


def _wecom_join(home: Path) -> None:
    """A customer adds a staff member; the callback is stored, processed, answered."""
    store = open_store(Settings(home=home, locale="en"))
    log_to_file(home)
    logging.getLogger("siyu").setLevel(logging.DEBUG)
    try:
        with unit_of_work(store.sessions) as session:
            workspace_id = workspaces.require(session, "demo").id
            Directory(session, workspace_id).staff_account("wecom_privacy", name="客服",
                                                           daily_capacity=100)  # fmt: skip
        with FakeWeCom() as fake:
            client = WeComClient(fake.corp_id, fake.secret, base_url=fake.url,
                                 sleep=lambda s: None)  # fmt: skip
            receiver = CallbackReceiver(
                crypto=WeComCrypto(fake.token, fake.aes_key, fake.corp_id),
                sessions=store.sessions, workspace_id=workspace_id, cipher=store.cipher,
                client=client,
            )  # fmt: skip
            server = make_server(receiver)
            serve_in_thread(server)
            fake.callback_url = f"http://127.0.0.1:{server.server_address[1]}/wecom/callback"
            try:
                status, _ = fake.customer_adds(
                    "wecom_privacy", WECOM_PERSON["external_userid"], name=WECOM_PERSON["name"],
                    unionid=WECOM_PERSON["unionid"], phone=WECOM_PERSON["phone"],
                )  # fmt: skip
                assert status == 200
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    with store.sessions() as session:
                        if session.scalar(select(Contact.id).where(
                                Contact.carrier_ref == "wecom_privacy")):  # fmt: skip
                            break
                    time.sleep(0.05)
                else:
                    raise AssertionError("the join never landed")
            finally:
                server.shutdown()
                server.server_close()
    finally:
        store.close()


def _queue_sms(home: Path) -> int:
    """An SMS with the {name} placeholder to every imported customer with a phone."""
    store = open_store(Settings(home=home))
    try:
        with unit_of_work(store.sessions) as session:
            workspace_id = workspaces.require(session, "demo").id
            buyers = sorted({c for c in session.scalars(select(Order.customer_id).where(
                Order.import_batch_id.is_not(None))) if c is not None})  # fmt: skip
            phoned = [c for c in buyers if session.scalar(select(Identity.id).where(
                Identity.customer_id == c, Identity.kind == "phone"))]  # fmt: skip
            for customer in phoned:  # SMS needs an opt-in
                consents.add_record(session, workspace_id, customer_id=customer, channel="sms",
                                    granted=True, purpose="marketing", source="test",
                                    recorded_at=utcnow() - timedelta(days=1))  # fmt: skip
            messaging.enqueue(
                session, workspace_id, channel="sms", keys=[f"privacy:{c}" for c in phoned],
                payloads=[{"text": "{name}，您好，新茶到了"} for _ in phoned],
                send_at=[utcnow() - timedelta(seconds=5)] * len(phoned), source_kind="test",
                customer_ids=phoned,
            )  # fmt: skip
            return len(phoned)
    finally:
        store.close()


def _worker(home: Path, gateway: HttpEndpoint) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env |= {"SIYU_HOME": str(home), "SIYU_LOCALE": "en", "SIYU_SMS_URL": gateway.url,
            "SIYU_SMS_TOKEN": "tok", "COLUMNS": "200"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "siyu", "worker", "--once"], env=env, cwd=home,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_no_personal_data_or_key_in_clear_anywhere(tmp_path: Path) -> None:
    home = tmp_path
    for args in (("init",), ("demo", "load", "--orders", "1000", "--seed", "11")):
        assert siyu(home, *args).returncode == 0
    imported = siyu(home, "import", "orders", str(write_taobao_csv(home)))
    assert imported.returncode == 0, imported.stderr
    _wecom_join(home)
    queued = _queue_sms(home)
    gateway = HttpEndpoint(kind="sms", token="tok").start()
    try:
        worked = _worker(home, gateway)
        assert worked.returncode == 0, worked.stderr
        delivered = {b.get("phone") or b.get("mobile") or b.get("to") for b in
                     gateway.record.bodies}  # fmt: skip
    finally:
        gateway.stop()
    assert queued >= 2 and "19900001111" in str(gateway.record.bodies), (delivered, worked.stdout)
    for args in (("run",), ("keys", "rotate"), ("keys", "status")):
        done = siyu(home, *args)
        assert done.returncode == 0, done.stderr
    keys = parse_keys((home / "pii.key").read_text())
    assert sorted(keys) == [1, 2]

    files = [home / "siyu.db", *home.glob("siyu.db-wal"), *(home / "logs").glob("*"),
             *(home / "warehouse").rglob("*.parquet")]  # fmt: skip
    assert (home / "logs" / "siyu.log").exists()
    needles = {v.encode("utf-8") for v in _clear_values()}
    for secret in keys.values():
        needles |= {secret, base64.b64encode(secret), secret.hex().encode()}
    for path in files:
        raw = path.read_bytes()
        found = [n.decode("utf-8", "replace") for n in needles if n in raw]
        assert found == [], f"{path.relative_to(home)} holds {found}"
    for output in (imported.stdout, worked.stdout, worked.stderr):
        assert not any(v in output for v in _clear_values())
