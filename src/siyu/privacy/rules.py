"""What erasure does to each table that refers to a customer, and retention cut-offs. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final


class Action(StrEnum):
    """What happens to a customer's rows of one table on erasure."""

    DELETE = "delete"
    """Personal through and through (identifiers, consents, tags, profile): removed."""
    MOVE = "move"
    """Facts that aggregates need (orders, contacts, ledgers): kept under the anonymous id,
    with the `scrub` columns overwritten."""
    JOURNAL = "journal"
    """The append-only loyalty journal: its rows keep the erased row's number, which no
    longer leads to anyone (the accounts themselves move to the anonymous id)."""


@dataclass(frozen=True, slots=True)
class Treatment:
    """The action for one (table, customer column) and the columns it scrubs."""

    action: Action
    scrub: dict[str, Any] = field(default_factory=dict)


D, M = Treatment(Action.DELETE), Treatment(Action.MOVE)
_REFERRAL = Treatment(Action.MOVE, {"phone_index": "", "address_index": "", "device_index": ""})

COVERAGE: Final[dict[tuple[str, str], Treatment]] = {
    ("identity", "customer_id"): D,
    ("consent_record", "customer_id"): D,
    ("customer_merge", "winner_id"): D,
    ("customer_profile", "customer_id"): D,
    ("customer_recommendation", "customer_id"): D,
    ("customer_tag", "customer_id"): D,
    ("group_member", "customer_id"): D,
    ("orders", "customer_id"): Treatment(Action.MOVE, {"receiver_enc": None}),
    ("contact", "customer_id"): Treatment(Action.MOVE, {"carrier_ref": "erased-{id}"}),
    ("contact_state", "customer_id"): M,
    ("contact_suppression", "customer_id"): M,
    ("contact_touch", "customer_id"): M,
    ("outbox_message", "customer_id"): Treatment(
        Action.MOVE, {"target": "", "payload": {}, "provider_ref": "", "last_error": ""}
    ),
    ("campaign_member", "customer_id"): M,
    ("channel_join", "customer_id"): M,
    ("staff_task", "customer_id"): Treatment(Action.MOVE, {"note": "", "script": ""}),
    ("referral_code", "customer_id"): M,
    ("referral", "referrer_customer_id"): _REFERRAL,
    ("referral", "referee_customer_id"): _REFERRAL,
    ("referral_reward", "customer_id"): M,
    ("loyalty_account", "customer_id"): M,
    ("loyalty_card", "customer_id"): M,
    ("loyalty_membership", "customer_id"): M,
    ("loyalty_tier_change", "customer_id"): M,
    ("loyalty_posting", "customer_id"): Treatment(Action.JOURNAL),
}
"""Every (table, column) that names a customer; a test fails when a model adds one that is
not listed, so erasure and export never miss a new table."""

HIDDEN_COLUMNS: Final = frozenset(
    {"blind_index", "name_index", "member_index", "phone_index", "address_index",
     "device_index", "event_key", "idempotency_key"}
)  # fmt: skip
"""Keyed hashes and keys: meaningless to the person, left out of an export."""


def refers_to_customer(column_name: str, foreign_tables: set[str]) -> bool:
    """Whether a column names a customer: a foreign key to `customer` or a customer_id name."""
    return "customer" in foreign_tables or column_name.endswith("customer_id")


@dataclass(frozen=True, slots=True)
class Retention:
    """How many days each kind of record is kept (0: kept for ever)."""

    wecom_callback_days: int = 30
    outbox_payload_days: int = 90
    delivery_attempt_days: int = 90
    web_session_days: int = 30
    reject_file_days: int = 30
    log_days: int = 30

    @classmethod
    def of(cls, settings: Any) -> Retention:
        """The retention configured in Settings (`retention_*_days`)."""
        return cls(**{f: getattr(settings, f"retention_{f}") for f in cls.__dataclass_fields__})

    def cutoff(self, now: datetime, days: int) -> datetime | None:
        """The instant before which a record with this retention is past its time."""
        return now - timedelta(days=days) if days > 0 else None


def mentions(text: str, needles: frozenset[str]) -> bool:
    """Whether a decrypted payload carries any of a person's identifier values."""
    return any(needle and needle in text for needle in needles)
