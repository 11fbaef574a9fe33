"""Delivery throughput of one `siyu worker` to local sinks.

Queues N messages, then runs one worker (one lane) until the outbox is empty and prints
messages per second: webhooks (signed, no customer) and SMS through an HTTP gateway (each
message's consent checked again and the phone decrypted at send time).

    python bench/delivery.py --messages 20000 [--concurrency 16] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.servers

from tests.servers import HttpEndpoint

from siyu.db import bulk
from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade
from siyu.kit.crypto import PiiCipher, decode_key, generate_key
from siyu.messaging import service
from siyu.messaging.channels.base import Channel
from siyu.messaging.channels.sms import SmsGatewayChannel
from siyu.messaging.channels.webhook import WebhookChannel
from siyu.messaging.tasks import Worker, WorkerOptions
from siyu.models import ConsentRecord, Customer, Identity, Workspace

NOW = datetime.now(UTC)


def _customers(session: object, ws: int, n: int, cipher: PiiCipher) -> list[int]:
    assert hasattr(session, "execute")
    bulk.insert_columns(session, Customer, {"first_seen_at": [NOW] * n}, {"workspace_id": ws})
    ids = list(range(1, n + 1))
    phones = [f"138{i:08d}" for i in ids]
    bulk.insert_columns(session, Identity, {
        "customer_id": ids, "blind_index": [f"b{i}" for i in ids],
        "value_enc": [cipher.encrypt(p) for p in phones], "masked": ["138****0000"] * n,
    }, {"workspace_id": ws, "kind": "phone", "platform": "", "source": "bench"})  # fmt: skip
    bulk.insert_columns(session, ConsentRecord, {"customer_id": ids}, {
        "workspace_id": ws, "channel": "sms", "granted": True, "purpose": "marketing",
        "source": "bench", "recorded_at": NOW - timedelta(days=1)})  # fmt: skip
    return ids


def _serve_elsewhere(**kw: str) -> tuple[str, multiprocessing.Process]:
    """A sink in a process of its own (it must not share the worker's interpreter lock)."""
    ready: multiprocessing.Queue[str] = multiprocessing.Queue()

    def serve() -> None:
        endpoint = HttpEndpoint(**kw).start()
        ready.put(endpoint.url)
        endpoint.thread.join()

    process = multiprocessing.get_context("fork").Process(target=serve, daemon=True)
    process.start()
    return ready.get(timeout=30), process


def run(label: str, sessions: object, cipher: PiiCipher, ws: int, channel: Channel,
        lane: str, n: int, concurrency: int) -> None:  # fmt: skip
    options = WorkerOptions(batch=200, concurrency=concurrency, poll_seconds=0.05, timeout=10)
    worker = Worker(sessions, cipher, ws, {lane: channel}, options)  # type: ignore[arg-type]
    started = time.perf_counter()
    reports = worker.run(threading.Event(), once=True)
    seconds = time.perf_counter() - started
    sent = reports[lane].sent
    assert sent == n, reports
    print(f"{label}: {sent:,} messages in {seconds:.1f} s = {sent / seconds:,.0f} messages/s "
          f"(one worker, concurrency {concurrency})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    n = args.messages
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='siyu-bench-')) / 'd.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    cipher = PiiCipher(decode_key(generate_key()))
    sink, sink_process = _serve_elsewhere(kind="webhook", secret="s")
    gateway, gateway_process = _serve_elsewhere(kind="sms", token="t")
    with unit_of_work(sessions) as session:
        workspace = Workspace(slug="bench", name="bench")
        session.add(workspace)
        session.flush()
        ws = workspace.id
        ids = _customers(session, ws, n, cipher)
        due = [NOW - timedelta(seconds=1)] * n
        service.enqueue(session, ws, channel="webhook", keys=[f"w:{i}" for i in range(n)],
                        payloads=[{"text": f"消息 {i}"} for i in range(n)], send_at=due,
                        source_kind="bench", targets=["app"] * n)  # fmt: skip
        service.enqueue(session, ws, channel="sms", keys=[f"s:{i}" for i in range(n)],
                        payloads=[{"text": f"短信 {i}"} for i in range(n)], send_at=due,
                        source_kind="bench", customer_ids=ids)  # fmt: skip
    print(f"store: {engine.url.get_backend_name()}")
    run("webhook", sessions, cipher, ws, WebhookChannel(sink, "s", timeout=10), "webhook",
        n, args.concurrency)  # fmt: skip
    run("sms gateway", sessions, cipher, ws,
        SmsGatewayChannel(gateway, "t", sign="", timeout=10), "sms", n,
        args.concurrency)  # fmt: skip
    for url, process in ((sink, sink_process), (gateway, gateway_process)):
        with urllib.request.urlopen(url) as reply:
            assert json.loads(reply.read())["effects"] == n
        process.terminate()


if __name__ == "__main__":
    main()
