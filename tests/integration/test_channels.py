"""Each delivery channel against a real local server: what it sends, and how it reads what
comes back (delivered, retry later, refused for good)."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from siyu.config import Settings
from siyu.kit.errors import SiyuError
from siyu.messaging.channels.base import Envelope, send_many
from siyu.messaging.channels.console import ConsoleChannel
from siyu.messaging.channels.email import EmailChannel, message_id
from siyu.messaging.channels.sms import SmsGatewayChannel
from siyu.messaging.channels.webhook import WebhookChannel
from siyu.messaging.channels.wecom import WeComBatchResult, WeComChannel
from siyu.messaging.tasks import channels_from_settings
from tests.servers import HttpEndpoint, SmtpServer


def _envelope(key: str = "campaign:1:7", **kw: Any) -> Envelope:
    values: dict[str, Any] = {"message_id": 1, "idempotency_key": key, "channel": "x",
                              "payload": {"text": "新品上市 hi", "subject": "Hello"},
                              "customer_id": 7}  # fmt: skip
    return Envelope(**(values | kw))


@pytest.fixture
def webhook() -> Iterator[HttpEndpoint]:
    endpoint = HttpEndpoint(kind="webhook", secret="s3cret").start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def gateway() -> Iterator[HttpEndpoint]:
    endpoint = HttpEndpoint(kind="sms", token="tok").start()
    yield endpoint
    endpoint.stop()


def test_webhook_is_signed_and_idempotent(webhook: HttpEndpoint) -> None:
    channel = WebhookChannel(webhook.url, "s3cret", timeout=2)
    first = channel.send(_envelope())
    again = channel.send(_envelope(attempt=2))
    assert (first.outcome, first.status_code, first.provider_ref) == ("sent", 200, "webhook-0")
    assert again.provider_ref == "webhook-0"
    assert webhook.record.keys["campaign:1:7"] == 2 and len(webhook.record.effects) == 1
    assert webhook.record.bodies[0]["payload"]["text"] == "新品上市 hi"
    forged = WebhookChannel(webhook.url, "wrong", timeout=2).send(_envelope(key="k2"))
    assert forged.outcome == "failed" and webhook.record.bad_signatures == 1
    channel.close()


@pytest.mark.parametrize(("mode", "outcome"), [("fail", "retry"), ("reject", "failed"),
                                               ("malformed", "sent")])  # fmt: skip
def test_webhook_reads_the_reply(webhook: HttpEndpoint, mode: str, outcome: str) -> None:
    webhook.behaviour.mode = mode
    receipt = WebhookChannel(webhook.url, "s3cret", timeout=2).send(_envelope())
    assert receipt.outcome == outcome


def test_a_hanging_endpoint_times_out(webhook: HttpEndpoint) -> None:
    webhook.behaviour.mode, webhook.behaviour.hang_seconds = "hang", 2
    with pytest.raises((TimeoutError, socket.timeout)):
        WebhookChannel(webhook.url, "s3cret", timeout=0.3).send(_envelope())


def test_sms_gateway(gateway: HttpEndpoint) -> None:
    channel = SmsGatewayChannel(gateway.url, "tok", sign="【品牌】", timeout=2)
    receipt = channel.send(_envelope(recipient="13800138000"))
    assert (receipt.outcome, receipt.provider_ref) == ("sent", "sms-0")
    sent = gateway.record.bodies[0]
    assert sent == {"to": "13800138000", "text": "新品上市 hi", "sign": "【品牌】",
                    "idempotency_key": "campaign:1:7"}  # fmt: skip
    assert channel.send(_envelope(recipient="")).outcome == "failed"
    gateway.behaviour.mode = "malformed"
    assert channel.send(_envelope(key="k3", recipient="13800138000")).outcome == "retry"
    gateway.behaviour.mode = "ok"
    wrong = SmsGatewayChannel(gateway.url, "nope", sign="", timeout=2)
    assert wrong.send(_envelope(key="k4", recipient="13800138000")).outcome == "failed"


def test_email_over_smtp() -> None:
    server = SmtpServer().start()
    server.mailbox.refuse.add("gone@example.com")
    try:
        channel = EmailChannel("127.0.0.1", server.port, sender="brand@example.com", timeout=5,
                               security="none")  # fmt: skip
        ok = channel.send(_envelope(recipient="li@example.com", payload={
            "subject": "新品", "text": "试用装", "link_url": "https://x.cn/a"}))  # fmt: skip
        assert ok.outcome == "sent" and ok.provider_ref == message_id("campaign:1:7")
        again = channel.send(_envelope(key="k2", recipient="wang@example.com"))
        assert again.outcome == "sent"
        refused = channel.send(_envelope(key="k3", recipient="gone@example.com"))
        assert (refused.outcome, refused.status_code) == ("failed", 550)
        channel.close()
    finally:
        server.stop()
    first = server.mailbox.messages[0]
    assert first["to"] == "li@example.com" and first["subject"] == "新品"
    assert first["message_id"] == message_id("campaign:1:7") and "https://x.cn/a" in first["body"]
    assert len(server.mailbox.messages) == 2


def test_console_masks_the_recipient() -> None:
    stream = io.StringIO()
    receipt = ConsoleChannel(stream).send(_envelope(recipient="13800138000"))
    line = json.loads(stream.getvalue())
    assert receipt.outcome == "sent" and line["to"] == "138****8000"
    assert "13800138000" not in stream.getvalue()


class _Adapter:
    """Stands in for the WeCom adapter: one record per batch message, keys remembered."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], dict[str, Any]]] = []
        self.seen: set[str] = set()

    def send_batch(
        self, sender: str, recipients: Sequence[tuple[str, str]], content: Mapping[str, Any]
    ) -> WeComBatchResult:
        fresh = [user for user, key in recipients if key not in self.seen]
        self.seen.update(key for _, key in recipients)
        self.calls.append((sender, fresh, dict(content)))
        return WeComBatchResult(f"batch-{len(self.calls)}", {"wm_gone": "not a contact"})


def test_wecom_groups_a_batch_by_sender_and_content() -> None:
    adapter = _Adapter()
    channel = WeComChannel(adapter)
    text = {"text": "hi"}
    batch = [
        _envelope(key="a", recipient="wm_a", sender="anna", payload=text),
        _envelope(key="b", recipient="wm_b", sender="anna", payload=text),
        _envelope(key="c", recipient="wm_c", sender="bo", payload=text),
        _envelope(key="d", recipient="wm_gone", sender="bo", payload=text),
        _envelope(key="e", recipient="", sender="bo", payload=text),
    ]
    receipts = send_many(channel, batch)
    assert [r.outcome for r in receipts] == ["sent", "sent", "sent", "failed", "failed"]
    assert [(c[0], c[1]) for c in adapter.calls] == [("anna", ["wm_a", "wm_b"]),
                                                     ("bo", ["wm_c", "wm_gone"])]  # fmt: skip
    send_many(channel, batch[:1])
    assert adapter.calls[-1][1] == []  # the adapter drops a key it has seen


def adapter_from_settings(_settings: Settings) -> _Adapter:
    return _Adapter()


def test_the_wecom_adapter_plugs_in_by_setting() -> None:
    named = Settings(wecom_adapter="tests.integration.test_channels:adapter_from_settings")
    channels = channels_from_settings(named, io.StringIO())
    assert isinstance(channels["wecom"], WeComChannel) and "sms" not in channels
    with pytest.raises(SiyuError) as missing:
        channels_from_settings(Settings(wecom_adapter="nowhere.at_all:x"), io.StringIO())
    assert "SIYU_WECOM_ADAPTER" in missing.value.message("en")
