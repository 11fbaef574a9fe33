"""WeCom batch messages (客户群发) through the WeCom adapter.

The adapter is another package's job; it plugs in by implementing ``WeComBatchSender``: one
call creates a batch message from one staff member (their WeCom user id) to some of their
external contacts with one content. This channel groups a batch of outbox messages by sender
and content and makes one call per group. WeCom itself limits what a customer receives (one
company batch message a day): the contact policy's WeCom caps keep within that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from siyu.messaging.channels.base import Envelope, Receipt


@dataclass(frozen=True)
class WeComBatchResult:
    """The adapter's answer for one batch: its id and the external users it failed for."""

    batch_id: str
    failed: Mapping[str, str] = field(default_factory=dict)
    retry: bool = False


class WeComBatchSender(Protocol):
    """What the WeCom adapter provides to deliver batch messages."""

    def send_batch(
        self, sender: str, recipients: Sequence[tuple[str, str]], content: Mapping[str, Any]
    ) -> WeComBatchResult:
        """Create one batch message from `sender` to these (external userid, idempotency
        key) recipients; a recipient whose key was delivered before is skipped."""
        ...


class WeComChannel:
    """Delivers outbox messages as WeCom batch messages, one call per sender and content."""

    needs: str | None = "external_userid"

    def __init__(self, adapter: WeComBatchSender, *, name: str = "wecom") -> None:
        self.name = name
        self.adapter = adapter

    def send(self, envelope: Envelope) -> Receipt:
        """Deliver one message (a batch of one)."""
        return self.send_many([envelope])[0]

    def send_many(self, envelopes: Sequence[Envelope]) -> list[Receipt]:
        """Deliver a batch: messages with the same sender and content share one call."""
        receipts: list[Receipt | None] = [None] * len(envelopes)
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, envelope in enumerate(envelopes):
            if not envelope.recipient or not envelope.sender:
                receipts[i] = Receipt("failed", detail="no WeCom contact or sender")
                continue
            content = repr(sorted(envelope.payload.items()))
            groups[(envelope.sender, content)].append(i)
        for (sender, _), members in groups.items():
            recipients = [(envelopes[i].recipient, envelopes[i].idempotency_key) for i in members]
            result = self.adapter.send_batch(sender, recipients, envelopes[members[0]].payload)
            for i in members:
                reason = result.failed.get(envelopes[i].recipient)
                if result.retry:
                    receipts[i] = Receipt("retry", detail="WeCom asked to retry")
                elif reason is not None:
                    receipts[i] = Receipt("failed", result.batch_id, detail=reason[:200])
                else:
                    receipts[i] = Receipt("sent", result.batch_id)
        return [r if r is not None else Receipt("failed", detail="not sent") for r in receipts]

    def close(self) -> None:
        """Nothing to release (the adapter owns its connections)."""
