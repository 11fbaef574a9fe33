"""Audit rules (pure): the closed list of actions, actors, the canonical hash, the chain check."""

from __future__ import annotations

import getpass
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

GENESIS: Final = "0" * 64
SYSTEM: Final = "system"
MAX_DETAIL_TEXT: Final = 200


class Action(StrEnum):
    """What was done: a closed list, so a search by action finds every case."""

    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOCKOUT = "auth.lockout"
    USER_CREATE = "user.create"
    USER_ROLE = "user.role_change"
    USER_DEACTIVATE = "user.deactivate"
    USER_REACTIVATE = "user.reactivate"
    USER_PASSWORD = "user.password"
    API_KEY_CREATE = "api_key.create"
    API_KEY_REVOKE = "api_key.revoke"
    EXPORT = "data.export"
    REVEAL = "pii.reveal"
    CONSENT_CHANGE = "consent.change"
    POLICY_CHANGE = "policy.change"
    CAMPAIGN_LAUNCH = "campaign.launch"
    MESSAGE_SEND = "message.send"
    LOYALTY_ADJUST = "loyalty.adjust"
    LOYALTY_AUDIT = "loyalty.audit"
    AUDIT_VERIFY = "audit.verify"
    SUBJECT_EXPORT = "privacy.export"
    SUBJECT_ERASE = "privacy.erase"
    RETENTION_PURGE = "privacy.purge"
    KEY_ROTATE = "keys.rotate"
    KEY_RETIRE = "keys.retire"


@dataclass(frozen=True, slots=True)
class Target:
    """The record acted on: a type and an id (both may be empty for a whole-log action)."""

    type: str = ""
    id: str | int | None = None

    @property
    def ident(self) -> str:
        """The id as stored (text, so keys and codes fit too)."""
        return "" if self.id is None else str(self.id)


def user_actor(user_id: int) -> str:
    """The actor of a console user."""
    return f"user:{user_id}"


def key_actor(key_id: int) -> str:
    """The actor of an integration calling with an API key."""
    return f"api_key:{key_id}"


def cli_actor() -> str:
    """The actor of a command run at the shell: the operating-system user."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        name = "unknown"
    return f"cli:{name[:60]}"


# Personal data that must not sit in clear in the log: mobile numbers, e-mail addresses,
# ID-card numbers. Details carry ids, codes, counts and masked values only.
_PERSONAL = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|[^@\s]+@[^@\s]+\.\w+|(?<!\d)\d{17}[\dXx](?!\d)")


def check_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Return details fit for the log; raise ValueError on personal data or odd values."""
    return {str(k): _check_value(str(k), v) for k, v in details.items()}


def _check_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if len(value) > MAX_DETAIL_TEXT or _PERSONAL.search(value):
            raise ValueError(f"audit detail {key!r} looks like personal data or is too long")
        return value
    if isinstance(value, list | tuple):
        return [_check_value(key, v) for v in value]
    if isinstance(value, Mapping):
        return check_details(value)
    raise ValueError(f"audit detail {key!r} has an unsupported type {type(value).__name__}")


def parse_target(text: str) -> tuple[str, str] | None:
    """'customer:12' -> ('customer', '12'); 'export' -> ('export', ''); None when malformed."""
    kind, _, ident = text.strip().partition(":")
    if text.strip() and not kind.strip():
        return None
    return kind.strip()[:40], ident.strip()[:80]


def stamp(at: datetime) -> str:
    """A moment as hashed: UTC, microseconds, fixed width (stable across both databases)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class EntryData:
    """The hashed content of an entry."""

    id: int
    at: datetime
    workspace_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str
    details: Mapping[str, Any]


def canonical(entry: EntryData) -> bytes:
    """The canonical encoding: sorted-key compact JSON, UTF-8."""
    body = {
        "id": entry.id,
        "at": stamp(entry.at),
        "workspace_id": entry.workspace_id,
        "actor": entry.actor,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "details": entry.details,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash: str, entry: EntryData) -> str:
    """SHA-256 over the previous hash and the entry's canonical encoding."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(entry)).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as read back: its content and the two hashes stored with it."""

    data: EntryData
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of walking the chain."""

    checked: int
    last_id: int
    broken_id: int | None = None
    reason: str = ""  # a message key: audit.broken_hash, audit.broken_link, audit.gap, …
    last_hash: str = ""  # the head's hash when intact: write it down to anchor the chain

    @property
    def ok(self) -> bool:
        """Whether the whole chain held."""
        return self.broken_id is None


def verify_chain(
    entries: Iterable[StoredEntry], *, head_id: int, head_hash: str, start_id: int = 0,
    start_hash: str = GENESIS,
) -> Verdict:  # fmt: skip
    """Walk entries in id order: each must follow the last, link to it and hash to itself."""
    expected_id, prev = start_id, start_hash
    checked = 0
    for stored in entries:
        expected_id += 1
        if stored.data.id != expected_id:
            return Verdict(checked, expected_id - 1, min(expected_id, stored.data.id), "audit.gap")
        if stored.prev_hash != prev:
            return Verdict(checked, expected_id - 1, stored.data.id, "audit.broken_link")
        if entry_hash(prev, stored.data) != stored.hash:
            return Verdict(checked, expected_id - 1, stored.data.id, "audit.broken_hash")
        prev = stored.hash
        checked += 1
    if expected_id != head_id or prev != head_hash:
        return Verdict(checked, expected_id, min(expected_id, head_id) + 1, "audit.truncated")
    return Verdict(checked, expected_id, last_hash=prev)
