"""Delivery rules, pure: retry delays with backoff and jitter, what a reply means, when a
channel's circuit opens, and scrubbing personal data out of error text."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

Outcome = Literal["sent", "retry", "failed"]

BASE_DELAY_S: Final = 30.0
MAX_DELAY_S: Final = 6 * 3600.0
RETRY_STATUSES: Final = frozenset({408, 409, 425, 429})


def retry_delay(
    attempt: int,
    *,
    rng: random.Random,
    base: float = BASE_DELAY_S,
    cap: float = MAX_DELAY_S,
    retry_after: float | None = None,
) -> float:
    """Seconds before the next attempt after `attempt` (1-based) failed: exponential backoff
    with "equal jitter" (half fixed, half random), so retries of many messages spread out
    but never come sooner than half the backoff; a server's Retry-After is a floor."""
    ceiling = min(cap, base * 2.0 ** (attempt - 1))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0.0)


def http_outcome(status: int) -> Outcome:
    """What an HTTP status means for a delivery: 2xx sent; 408/409/425/429 and 5xx retry
    later; any other 4xx is a request the endpoint will never accept."""
    if 200 <= status < 300:
        return "sent"
    if status in RETRY_STATUSES or status >= 500:
        return "retry"
    return "failed"


def smtp_outcome(code: int) -> Outcome:
    """What an SMTP reply code means: 2xx sent, 4xx try again, 5xx permanent."""
    if 200 <= code < 300:
        return "sent"
    return "retry" if 400 <= code < 500 else "failed"


@dataclass
class Breaker:
    """A channel's circuit breaker: after `threshold` failures in a row it opens and the
    channel's messages wait (no attempt is spent) for `cooldown` seconds, doubling up to
    `max_cooldown` while probes keep failing; one success closes it."""

    threshold: int = 5
    cooldown: float = 5.0
    max_cooldown: float = 300.0
    failures: int = 0
    open_until: float = 0.0
    current: float = 0.0

    def allows(self, now: float) -> bool:
        """Whether the channel may be tried now (closed, or open long enough for a probe)."""
        return self.failures < self.threshold or now >= self.open_until

    def probing(self) -> bool:
        """Whether the next try is a single probe of an open circuit."""
        return self.failures >= self.threshold

    def record(self, ok: bool, now: float) -> None:
        """Count a delivery's result."""
        if ok:
            self.failures, self.current = 0, 0.0
            return
        self.failures += 1
        if self.failures >= self.threshold:
            self.current = min(
                self.max_cooldown, self.current * 2 if self.current else self.cooldown
            )
            self.open_until = now + self.current


_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def scrub(text: str, secrets: Iterable[str] = (), limit: int = 500) -> str:
    """Error text safe to store and log: the given values, phone numbers and e-mail
    addresses masked, cut to `limit` characters."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _EMAIL.sub("***@***", _PHONE.sub("1**********", text))
    return text[:limit]


def idempotency_key(
    source_kind: str, source_id: int | None, customer_id: int | None, *parts: str
) -> str:
    """A key that names one message of one source for one customer: delivering it twice is
    recognisable as the same message."""
    tail = ":".join(p for p in parts if p)
    key = f"{source_kind}:{source_id or 0}:{customer_id or 0}"
    return f"{key}:{tail}" if tail else key
