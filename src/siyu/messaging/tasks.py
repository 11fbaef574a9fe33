"""`siyu worker`: one lane (thread) per channel, each claiming and delivering batches.

Lanes are independent: a channel that times out, answers 5xx or talks nonsense only slows its
own lane, and after a run of failures its circuit opens and its messages wait without
spending attempts while the other lanes go on at full speed.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from siyu.config import Settings
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import SiyuError
from siyu.messaging.channels.base import Channel
from siyu.messaging.channels.console import ConsoleChannel
from siyu.messaging.channels.email import EmailChannel
from siyu.messaging.channels.sms import SmsGatewayChannel
from siyu.messaging.channels.webhook import WebhookChannel
from siyu.messaging.channels.wecom import WeComBatchSender, WeComChannel
from siyu.messaging.rules import Breaker
from siyu.messaging.service import BatchReport, Dispatcher
from siyu.wecom import adapter as wecom_adapter

log = logging.getLogger(__name__)


def worker_name() -> str:
    """A name unique to this worker process (host, pid, random)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def channels_from_settings(settings: Settings, console: TextIO) -> dict[str, Channel]:
    """The channels this deployment is configured for (the console channel always)."""
    timeout = settings.delivery_timeout
    found: dict[str, Channel] = {"console": ConsoleChannel(console)}
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        found["webhook"] = WebhookChannel(settings.webhook_url, secret, timeout=timeout)
    if settings.sms_url:
        token = settings.sms_token.get_secret_value() if settings.sms_token else ""
        found["sms"] = SmsGatewayChannel(settings.sms_url, token, sign=settings.sms_sign,
                                         timeout=timeout)  # fmt: skip
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        found["email"] = EmailChannel(
            settings.smtp_host, settings.smtp_port, sender=settings.smtp_sender,
            timeout=timeout, security=settings.smtp_security, user=settings.smtp_user,
            password=password,
        )  # fmt: skip
    if settings.wecom_adapter:
        found["wecom"] = WeComChannel(load_wecom_adapter(settings))
    elif settings.wecom_corp_id and settings.wecom_secret:
        found["wecom"] = WeComChannel(wecom_adapter.from_settings(settings))
    return found


def load_wecom_adapter(settings: Settings) -> WeComBatchSender:
    """Build the WeCom adapter named by SIYU_WECOM_ADAPTER ('module:function'), which
    replaces the built-in one (`siyu.wecom.adapter`, used whenever WeCom credentials are set)."""
    module_name, _, function = settings.wecom_adapter.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), function or "from_settings")
    except (ImportError, AttributeError) as exc:
        raise SiyuError("worker.wecom_adapter", name=settings.wecom_adapter,
                        reason=str(exc)) from None  # fmt: skip
    adapter: WeComBatchSender = factory(settings)
    return adapter


@dataclass
class LaneReport:
    """Totals of one channel's lane."""

    batches: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    suppressed: int = 0
    opened: int = 0

    def add(self, report: BatchReport) -> None:
        """Add one batch's counts."""
        self.batches += 1
        self.claimed += report.claimed
        self.sent += report.sent
        self.retried += report.retried
        self.dead += report.dead
        self.suppressed += report.suppressed


@dataclass
class WorkerOptions:
    """How a worker runs."""

    batch: int = 100
    concurrency: int = 8
    poll_seconds: float = 1.0
    lease_seconds: float | None = None
    max_attempts: int = 8
    breaker_threshold: int = 5
    breaker_cooldown: float = 5.0
    timeout: float = 10.0

    def lease(self) -> timedelta:
        """The lease on a claimed batch: long enough for its slowest delivery, with margin."""
        if self.lease_seconds is not None:
            return timedelta(seconds=self.lease_seconds)
        rounds = math.ceil(self.batch / max(self.concurrency, 1))
        return timedelta(seconds=2 * self.timeout * rounds + 30)


@dataclass
class Worker:
    """Runs a lane per channel until stopped (or, with `once`, until nothing is due)."""

    sessions: sessionmaker[Session]
    cipher: PiiCipher
    workspace_id: int
    channels: Mapping[str, Channel]
    options: WorkerOptions = field(default_factory=WorkerOptions)
    name: str = field(default_factory=worker_name)
    on_batch: Callable[[str, BatchReport], None] | None = None

    def run(
        self, stop: threading.Event, *, once: bool = False, lanes: list[str] | None = None
    ) -> dict[str, LaneReport]:
        """Deliver until `stop` is set; returns each lane's totals."""
        dispatcher = Dispatcher(
            self.sessions, self.cipher, self.workspace_id, self.channels, worker=self.name,
            lease=self.options.lease(), max_attempts=self.options.max_attempts,
        )  # fmt: skip
        names = lanes or sorted(self.channels)
        reports = {name: LaneReport() for name in names}
        threads = [
            threading.Thread(
                target=self._lane,
                args=(dispatcher, name, reports[name], stop, once),
                name=f"siyu-lane-{name}",
                daemon=True,
            )
            for name in names
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for channel in self.channels.values():
            channel.close()
        return reports

    def _lane(
        self, dispatcher: Dispatcher, name: str, report: LaneReport, stop: threading.Event,
        once: bool,
    ) -> None:  # fmt: skip
        options = self.options
        breaker = Breaker(threshold=options.breaker_threshold, cooldown=options.breaker_cooldown)
        with ThreadPoolExecutor(options.concurrency, thread_name_prefix=f"siyu-{name}") as pool:
            while not stop.is_set():
                now = time.monotonic()
                if not breaker.allows(now):
                    if once:
                        return
                    stop.wait(min(options.poll_seconds, breaker.open_until - now))
                    continue
                limit = 1 if breaker.probing() else options.batch
                try:
                    batch = dispatcher.run_batch(name, limit, pool)
                except Exception:  # the store is unreachable or busy: wait and try again
                    log.exception("lane %s: batch failed", name)
                    stop.wait(options.poll_seconds)
                    continue
                report.add(batch)
                was_open = breaker.probing()
                for transient in batch.transient:
                    breaker.record(not transient, time.monotonic())
                report.opened += breaker.probing() and not was_open
                if self.on_batch is not None:
                    self.on_batch(name, batch)
                if batch.claimed == 0:
                    if once:
                        return
                    stop.wait(options.poll_seconds)
