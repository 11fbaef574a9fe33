"""The built-in WeCom adapter of the general outbox: WeCom calls made by `siyu worker`.

The messaging package's `WeComChannel` groups outbox messages by sender (the staff member's
WeCom userid) and content and hands each group here. The content's `kind` says which call:

- `welcome` (one joiner): `send_welcome_msg` with the event's welcome code, which WeCom
  accepts for 20 seconds only; an older one fails at once instead of being retried;
- `tag`: `mark_tag` of each recipient for the sender, with the enterprise tag ids;
- anything else is a batch message (客户群发): one `add_msg_template` from the sender to
  the group's external contacts; WeCom's fail_list comes back per recipient.

Access tokens are refreshed by the client when WeCom says they expired; rate limits and
outages that outlast the client's own retries come back as "retry later" for the outbox's
backoff, other errcodes as failures. Nothing personal is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from siyu.config import Settings
from siyu.kit.clock import utcnow
from siyu.messaging.channels.wecom import WeComBatchResult
from siyu.wecom.client import (
    WeComApiError,
    WeComClient,
    WeComRateLimitedError,
    WeComUnreachableError,
    client_from_settings,
)

log = logging.getLogger(__name__)
WELCOME_CODE_TTL = timedelta(seconds=20)
WELCOME, TAG, TEXT = "welcome", "tag", "text"
MAX_RECIPIENTS = 10_000  # add_msg_template's limit per call


@dataclass
class WeComAdapter:
    """Makes the outbox's WeCom calls with the real client."""

    client: WeComClient
    clock: Callable[[], datetime] = utcnow

    def send_batch(
        self, sender: str, recipients: Sequence[tuple[str, str]], content: Mapping[str, Any]
    ) -> WeComBatchResult:
        """One WeCom call (or one per recipient for tags) for a group of outbox messages."""
        kind = str(content.get("kind", TEXT))
        try:
            if kind == WELCOME:
                return self._welcome(content, recipients)
            if kind == TAG:
                return self._tag(sender, recipients, content)
            return self._template(sender, recipients, content)
        except (WeComRateLimitedError, WeComUnreachableError) as exc:
            log.warning("wecom %s: %s, retried later", kind, type(exc).__name__)
            return WeComBatchResult("", retry=True)
        except WeComApiError as exc:
            log.warning("wecom %s: errcode %d", kind, exc.errcode)
            return WeComBatchResult("", _all(recipients, f"errcode {exc.errcode}"))

    def _welcome(
        self, content: Mapping[str, Any], recipients: Sequence[tuple[str, str]]
    ) -> WeComBatchResult:
        event_at = datetime.fromisoformat(str(content["event_at"]))
        if self.clock() - event_at > WELCOME_CODE_TTL:
            return WeComBatchResult("", _all(recipients, "welcome code older than 20 s"))
        self.client.send_welcome_msg(str(content["welcome_code"]), str(content["text"]))
        return WeComBatchResult(f"welcome:{content['welcome_code']}")

    def _tag(
        self, sender: str, recipients: Sequence[tuple[str, str]], content: Mapping[str, Any]
    ) -> WeComBatchResult:
        tags = [str(t) for t in content.get("add_tag") or ()]
        for external_userid, _key in recipients:
            self.client.mark_tag(userid=sender, external_userid=external_userid, add_tag=tags)
        return WeComBatchResult("tag")

    def _template(
        self, sender: str, recipients: Sequence[tuple[str, str]], content: Mapping[str, Any]
    ) -> WeComBatchResult:
        ids = list(dict.fromkeys(r for r, _ in recipients))
        msgids: list[str] = []
        failed: set[str] = set()
        for start in range(0, len(ids), MAX_RECIPIENTS):
            result = self.client.add_msg_template(
                sender=sender,
                external_userids=ids[start : start + MAX_RECIPIENTS],
                text=str(content.get("text", "")),
            )
            msgids.append(result.msgid)
            failed.update(result.fail_list)
        reasons = {r: "WeCom could not deliver to this contact" for r in failed}
        return WeComBatchResult(",".join(msgids)[:128], reasons)


def _all(recipients: Sequence[tuple[str, str]], reason: str) -> dict[str, str]:
    return {r: reason for r, _ in recipients}


def from_settings(settings: Settings) -> WeComAdapter:
    """The built-in adapter from SIYU_WECOM_CORP_ID and SIYU_WECOM_SECRET."""
    return WeComAdapter(client_from_settings(settings))
