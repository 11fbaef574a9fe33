"""The one place every send passes (never commits): lock the customers, decide under the
contact policy, reserve the admitted contacts in the ledger, give up outbid reservations and
record every suppressed or moved message with its reason.

Callers write their outbox rows in the same transaction, with the touch ids returned here, so a
decision and its effect commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from siyu.audit import service as audit
from siyu.audit.rules import SYSTEM, Action, Target
from siyu.consent import repository as consent_repository
from siyu.consent import rules as consent_rules
from siyu.db.columns import Source, codes, committed_read
from siyu.engage.policy import repository
from siyu.engage.policy.rules import (
    REASONS,
    Audience,
    Candidates,
    Decisions,
    Ledger,
    Limits,
    channel_code,
    decide,
    possible_days,
)
from siyu.engage.policy.schemas import CHANNELS, STAGES, ContactPolicy
from siyu.kit.errors import ValidationError
from siyu.messaging import repository as outbox
from siyu.models.enums import ConsentPurpose

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

POLICY_KEY = "contact_policy"
BUMPABLE = frozenset({"campaign", "playbook", "journey", "sop"})
"""Sources whose reserved contacts a more valuable message may take the slot of (a staff
member's task list is never rewritten under them)."""
MONTH_MARGIN = 31


def get_policy(session: Session, workspace_id: int) -> ContactPolicy:
    """The workspace's contact policy (the defaults until one is saved)."""
    stored = repository.get_setting(session, workspace_id, POLICY_KEY)
    return ContactPolicy.model_validate(stored) if stored else ContactPolicy()


def set_policy(
    session: Session, workspace_id: int, policy: ContactPolicy, *, actor: str = SYSTEM
) -> None:
    """Save the workspace's contact policy (audited)."""
    repository.put_setting(session, workspace_id, POLICY_KEY, policy.model_dump(mode="json"))
    audit.record(session, actor, Action.POLICY_CHANGE, Target("policy", POLICY_KEY),
                 workspace_id=workspace_id)  # fmt: skip


@dataclass
class ContactRequest:
    """Messages a feature wants to send, one row per message (arrays or shared values)."""

    customer_ids: IntArray
    channel: str | Sequence[str]
    value: FloatArray | float
    send_at: FloatArray | float
    source_kind: str
    source_id: int | None = None
    promotion: BoolArray | bool = False
    major: BoolArray | bool = False
    reschedule_days: IntArray | int = 0
    staff_ids: IntArray | None = None
    """For the "staff" channel: who makes each contact (-1: the customer's WeCom owner)."""
    purpose: str = ConsentPurpose.MARKETING
    """Consent purpose: marketing needs the channel's opt-in; service messages (order and
    after-sales notices) need none and answer only to a withdrawal of service consent."""


@dataclass
class Reservation:
    """The policy's answer, row by row, and the ledger rows it wrote."""

    admitted: BoolArray
    reasons: list[str]
    send_at: FloatArray
    local_day: IntArray
    moved_days: IntArray
    touch_ids: IntArray
    staff_ids: IntArray
    outbid_touch_ids: list[int] = field(default_factory=list)


@dataclass
class _Customers:
    ids: IntArray
    audience: Audience
    owner: IntArray  # staff account that owns the customer's WeCom contact, -1 when none


def _offsets(zones: list[str], now: datetime) -> IntArray:
    """UTC offsets of time zones at `now` (seconds)."""
    out = np.zeros(len(zones), dtype=np.int64)
    for i, name in enumerate(zones):
        offset = ZoneInfo(name).utcoffset(now.replace(tzinfo=None))
        out[i] = int(offset.total_seconds()) if offset else 0
    return out


def _customers(
    source: Source,
    workspace_id: int,
    ids: IntArray,
    policy: ContactPolicy,
    now: datetime,
    purpose: str = ConsentPurpose.MARKETING,
) -> _Customers:
    n = ids.size
    found, stages, zones = repository.customer_facts(source, workspace_id, ids)
    at, hit = _positions(ids, found)
    stage = np.zeros(n, dtype=np.int64)
    stage[at[hit]] = np.maximum(codes(stages.tolist(), STAGES)[hit], 0)
    zone_list = zones.tolist()
    zone_names = sorted({z for z in zone_list if z} | {policy.default_time_zone})
    default = zone_names.index(policy.default_time_zone)
    zone_codes = codes(zone_list, zone_names)
    zone_codes[zone_codes < 0] = default
    zone = np.full(n, default, dtype=np.int64)
    zone[at[hit]] = zone_codes[hit]
    consent = consent_rules.states_of(repository.consent_records(source, workspace_id, ids), ids)
    reachable = np.ones((n, len(CHANNELS)), dtype=np.bool_)
    holder, kinds = repository.identity_kinds(source, workspace_id, ids, ("phone", "email"))
    kind = codes(kinds.tolist(), ("phone", "email"))
    for channel, k in (("sms", 0), ("email", 1)):
        reachable[:, channel_code(channel)] = np.isin(ids, holder[kind == k])
    owner = _owners(source, workspace_id, ids)
    reachable[:, channel_code("wecom")] = owner >= 0
    # a staff member reaches a customer through their WeCom contact, or by phone
    reachable[:, channel_code("staff")] = (owner >= 0) | reachable[:, channel_code("sms")]
    offsets = _offsets(zone_names, now)[zone]
    own = None
    if purpose != ConsentPurpose.MARKETING:
        records = repository.consent_records(source, workspace_id, ids, purpose=purpose)
        own = consent_rules.states_of(records, ids)
    return _Customers(ids, Audience(stage, offsets, consent, reachable, own), owner)


def _positions(ids: IntArray, found: IntArray) -> tuple[IntArray, BoolArray]:
    if ids.size == 0:
        return np.zeros(found.size, dtype=np.int64), np.zeros(found.size, dtype=np.bool_)
    at = np.minimum(np.searchsorted(ids, found), ids.size - 1)
    return at, ids[at] == found


def owners(source: Source, workspace_id: int, ids: IntArray) -> IntArray:
    """The staff account owning each customer's (latest) WeCom contact, -1 when none."""
    return _owners(source, workspace_id, ids)


def _owners(source: Source, workspace_id: int, ids: IntArray) -> IntArray:
    who, by, when = repository.active_wecom_contacts(source, workspace_id, ids)
    owner = np.full(ids.size, -1, dtype=np.int64)
    order = np.lexsort((when, who))  # the latest contact of each customer is written last
    at, hit = _positions(ids, who[order])
    owner[at[hit]] = by[order][hit]
    return owner


@dataclass
class _Existing:
    fixed: Ledger
    ids: IntArray
    candidates: Candidates
    source_kind: list[str]
    source_id: list[int | None]


def _existing(
    source: Source,
    workspace_id: int,
    customers: _Customers,
    days: tuple[int, int],
    policy: ContactPolicy,
    now: datetime,
    contested: IntArray,
) -> _Existing:
    rows = repository.touches(source, workspace_id, customers.ids, *days)
    touch_ids, who, channel, promos, local, due, value, kind, origin, staff_of, status = rows
    at, hit = _positions(customers.ids, who)
    channels = codes(channel.tolist(), CHANNELS)
    lead = now.timestamp() + policy.bump_lead_minutes * 60
    movable = hit & (status == "reserved") & (due > lead) & (channels >= 0)
    movable &= np.isin(kind, list(BUMPABLE))
    movable &= np.isin(local, contested)  # a slot is contested on the day it falls
    fixed = hit & ~movable & (channels >= 0)
    fixed_ledger = Ledger(at[fixed], channels[fixed], promos[fixed], local[fixed], staff_of[fixed])
    cands = Candidates.build(
        at[movable], channel=channels[movable], value=value[movable],
        send_at=due[movable], promotion=promos[movable], major=True,
        staff=staff_of[movable], existing=True,
    )  # fmt: skip
    sources = [None if s < 0 else int(s) for s in origin[movable].tolist()]
    return _Existing(fixed_ledger, touch_ids[movable], cands, kind[movable].tolist(), sources)


def _concat(a: Candidates, b: Candidates) -> Candidates:
    return Candidates(
        *(np.concatenate([x, y]) for x, y in zip(_fields(a), _fields(b), strict=True))
    )


def _fields(c: Candidates) -> tuple[NDArray[np.generic], ...]:
    return (c.customer, c.channel, c.promotion, c.major, c.value, c.send_at, c.reschedule_days,
            c.staff, c.existing)  # fmt: skip


def _new_candidates(request: ContactRequest, customers: _Customers) -> Candidates:
    n = request.customer_ids.size
    at, hit = _positions(customers.ids, request.customer_ids.astype(np.int64))
    assert hit.all(), "every requested customer is among the locked ones"
    names = [request.channel] * n if isinstance(request.channel, str) else list(request.channel)
    channels = codes(names, CHANNELS)
    if (channels < 0).any():
        raise ValueError(f"unknown channel among {sorted(set(names))}; known: {CHANNELS}")
    chosen = request.staff_ids if request.staff_ids is not None else np.full(n, -1)
    person = np.where(chosen >= 0, chosen, customers.owner[at])
    staff = np.where(channels == channel_code("staff"), person, -1)
    return Candidates.build(
        at, channel=channels, value=request.value, send_at=request.send_at,
        promotion=request.promotion, major=request.major,
        reschedule_days=request.reschedule_days, staff=staff,
    )  # fmt: skip


def _day_range(cands: Candidates, audience: Audience) -> tuple[int, int]:
    """Local day numbers whose contacts can bear on the candidates' caps (their months)."""
    if len(cands) == 0:
        return 0, 0
    local = np.floor_divide(cands.send_at + audience.utc_offset_s[cands.customer], 86_400)
    first = int(local.min()) - MONTH_MARGIN
    last = int(local.max()) + int(cands.reschedule_days.max(initial=0)) + MONTH_MARGIN
    return first, last


def _staff_state(
    source: Source, workspace_id: int, days: tuple[int, int]
) -> tuple[IntArray, Ledger]:
    capacity = repository.staff_capacities(source, workspace_id)
    size = max(capacity, default=-1) + 1
    caps = np.zeros(size, dtype=np.int64)
    for staff_id, daily in capacity.items():
        caps[staff_id] = daily
    who, local = repository.staff_touches(source, workspace_id, *days)
    keep = who < size
    none = np.zeros(int(keep.sum()), dtype=np.int64)
    return caps, Ledger(none, none, none.astype(np.bool_), local[keep], who[keep])


@dataclass
class _Gathered:
    customers: _Customers
    new: Candidates
    existing: _Existing
    capacity: IntArray
    used: Ledger


def _gather(
    source: Source,
    workspace_id: int,
    request: ContactRequest,
    policy: ContactPolicy,
    now: datetime,
) -> _Gathered:
    """Everything the decision needs, read from a session (under its locks) or a reader."""
    ids = np.unique(request.customer_ids.astype(np.int64))
    customers = _customers(source, workspace_id, ids, policy, now, _purpose(request.purpose))
    new = _new_candidates(request, customers)
    days = _day_range(new, customers.audience)
    contested = possible_days(new, customers.audience, Limits.compile(policy))
    existing = _existing(source, workspace_id, customers, days, policy, now, contested)
    if (new.staff >= 0).any() or (existing.candidates.staff >= 0).any():
        capacity, used = _staff_state(source, workspace_id, days)
    else:  # nobody here fills a staff account's list
        capacity, used = np.zeros(0, dtype=np.int64), Ledger.empty()
    return _Gathered(customers, new, existing, capacity, used)


def _decide(gathered: _Gathered, policy: ContactPolicy) -> Decisions:
    return decide(
        _concat(gathered.new, gathered.existing.candidates), gathered.customers.audience,
        Limits.compile(policy), ledger=gathered.existing.fixed,
        staff_capacity=gathered.capacity, staff_used=gathered.used,
    )  # fmt: skip


def reserve(
    session: Session,
    workspace_id: int,
    request: ContactRequest,
    *,
    now: datetime,
    policy: ContactPolicy | None = None,
) -> Reservation:
    """Lock the requested customers, decide every message under the policy and write the
    outcome: reserved contacts, outbid reservations cancelled, suppressions recorded."""
    policy = policy or get_policy(session, workspace_id)
    ids = np.unique(request.customer_ids.astype(np.int64))
    repository.lock_customers(session, workspace_id, ids)
    gathered = _gather(session, workspace_id, request, policy, now)
    repository.lock_staff(session, [s for s in gathered.new.staff.tolist() if s >= 0])
    if (gathered.new.staff >= 0).any():  # capacity read again now that it is locked
        gathered.capacity, gathered.used = _staff_state(
            session, workspace_id, _day_range(gathered.new, gathered.customers.audience)
        )
    decisions = _decide(gathered, policy)
    return _write(session, workspace_id, request, gathered.customers, gathered.new,
                  gathered.existing, decisions)  # fmt: skip


def evaluate(
    session: Session,
    workspace_id: int,
    request: ContactRequest,
    *,
    now: datetime,
    policy: ContactPolicy | None = None,
    committed: bool = False,
) -> Reservation:
    """Decide every message as ``reserve`` would, without locking or writing anything (for
    plans, and for a control group's "would have been contacted"). ``committed`` reads the
    committed state through a fast Arrow reader instead of the session's transaction."""
    policy = policy or get_policy(session, workspace_id)
    engine = session.get_bind()
    if committed and isinstance(engine, Engine):
        chosen = policy
        gathered = committed_read(
            engine, lambda reader: _gather(reader, workspace_id, request, chosen, now)
        )
    else:
        gathered = _gather(session, workspace_id, request, policy, now)
    decisions = _decide(gathered, policy)
    none = np.full(len(gathered.new), -1, dtype=np.int64)
    return _answer(gathered.customers, gathered.new, decisions, none, [])


def _answer(
    customers: _Customers,
    new: Candidates,
    decisions: Decisions,
    touch_ids: IntArray,
    outbid: list[int],
) -> Reservation:
    n = len(new)
    owner = customers.owner[new.customer]
    sender = np.where(new.channel == channel_code("staff"), new.staff,
                      np.where(new.channel == channel_code("wecom"), owner, -1))  # fmt: skip
    reasons = np.asarray(REASONS, dtype=object)[decisions.reason[:n]].tolist()
    return Reservation(
        admitted=decisions.admitted[:n], reasons=reasons,
        send_at=decisions.send_at[:n], local_day=decisions.local_day[:n],
        moved_days=decisions.moved_days[:n], touch_ids=touch_ids,
        staff_ids=sender, outbid_touch_ids=outbid,
    )  # fmt: skip


def _epoch_dates(days: IntArray) -> list[date]:
    return days.astype("datetime64[D]").astype(object).tolist()  # type: ignore[no-any-return]


def _times(epochs: FloatArray) -> list[datetime]:
    return [datetime.fromtimestamp(t, UTC) for t in epochs.tolist()]


def _write(
    session: Session,
    workspace_id: int,
    request: ContactRequest,
    customers: _Customers,
    new: Candidates,
    existing: _Existing,
    decisions: Decisions,
) -> Reservation:
    n = len(new)
    touch_ids = np.full(n, -1, dtype=np.int64)
    rows = np.flatnonzero(decisions.admitted[:n])
    channel_names = np.asarray(CHANNELS, dtype=object)
    staff = new.staff[rows]
    created = repository.insert_touches(session, {
        "customer_id": customers.ids[new.customer[rows]].tolist(),
        "channel": channel_names[new.channel[rows]].tolist(),
        "is_promotion": new.promotion[rows].tolist(),
        "local_day": _epoch_dates(decisions.local_day[rows]),
        "planned_at": _times(decisions.send_at[rows]),
        "value_fen": new.value[rows].tolist(),
        "staff_account_id": [s if s >= 0 else None for s in staff.tolist()],
    }, {"workspace_id": workspace_id, "status": "reserved", "source_kind": request.source_kind,
        "source_id": request.source_id})  # fmt: skip
    touch_ids[rows] = created
    lost = np.flatnonzero(~decisions.admitted[n:])
    outbid = existing.ids[lost].tolist()
    if outbid:
        repository.cancel_touches(session, outbid)
        outbox.cancel_for_touches(session, outbid)
    _record_suppressions(session, workspace_id, request, customers, new, existing, decisions, lost)
    return _answer(customers, new, decisions, touch_ids, outbid)


def _record_suppressions(
    session: Session,
    workspace_id: int,
    request: ContactRequest,
    customers: _Customers,
    new: Candidates,
    existing: _Existing,
    decisions: Decisions,
    lost: IntArray,
) -> None:
    n = len(new)
    channel_names = np.asarray(CHANNELS, dtype=object)
    noted = np.flatnonzero((~decisions.admitted[:n]) | (decisions.moved_days[:n] > 0))
    moved = decisions.moved_days[noted] > 0
    reasons = np.asarray(REASONS, dtype=object)
    columns = {
        "customer_id": customers.ids[new.customer[noted]].tolist()
        + customers.ids[existing.candidates.customer[lost]].tolist(),
        "channel": channel_names[new.channel[noted]].tolist()
        + channel_names[existing.candidates.channel[lost]].tolist(),
        "source_kind": [request.source_kind] * noted.size
        + [existing.source_kind[i] for i in lost.tolist()],
        "source_id": [request.source_id] * noted.size
        + [existing.source_id[i] for i in lost.tolist()],
        "reason": reasons[decisions.reason[noted]].tolist()
        + reasons[decisions.reason[n + lost]].tolist(),
        "planned_at": _times(new.send_at[noted]) + _times(existing.candidates.send_at[lost]),
        "rescheduled_to": [t if m else None for t, m in zip(
            _times(decisions.send_at[noted]), moved.tolist(), strict=True)] + [None] * lost.size,
    }  # fmt: skip
    repository.insert_suppressions(session, columns, {"workspace_id": workspace_id})


def channels_governed_by(policy: ContactPolicy, consent_channel: str) -> list[str]:
    """Message channels an opt-out of this consent channel stops ("all": every channel)."""
    if consent_channel == consent_rules.ALL:
        return list(CHANNELS)
    governed = {name: rule.consent_channel for name, rule in policy.channels.items()}
    return [name for name in CHANNELS if governed.get(name) == consent_channel]


def _purpose(purpose: str) -> str:
    """A known consent purpose, or a bilingual error."""
    known = [p.value for p in ConsentPurpose]
    if purpose not in known:
        raise ValidationError("consent.unknown_purpose", purpose=purpose, known=", ".join(known))
    return purpose


def record_consent(
    session: Session,
    workspace_id: int,
    customer_id: int,
    *,
    channel: str,
    granted: bool,
    source: str,
    now: datetime,
    actor: str = SYSTEM,
    purpose: str = ConsentPurpose.MARKETING,
) -> list[int]:
    """Record a grant or an opt-out; an opt-out takes effect at once: the customer's reserved
    contacts on the channels it covers are cancelled (with their outbox messages) and recorded
    as suppressed. Returns the cancelled touch ids. The change is audited."""
    known = (*consent_rules.CHANNELS, consent_rules.ALL)
    if channel not in known:
        raise ValidationError("consent.unknown_channel", channel=channel, known=", ".join(known))
    purpose = _purpose(purpose)
    repository.lock_customers(session, workspace_id, np.array([customer_id], dtype=np.int64))
    consent_repository.add_record(
        session, workspace_id, customer_id=customer_id, channel=channel, granted=granted,
        purpose=purpose, source=source, recorded_at=now,
    )  # fmt: skip
    # reservations are marketing's: a service opt-out stops at the worker
    stops_reservations = not granted and purpose == ConsentPurpose.MARKETING
    cancelled = _cancel_for_opt_out(session, workspace_id, customer_id, channel,
                                    now) if stops_reservations else []  # fmt: skip
    details = {"channel": channel, "purpose": purpose, "granted": granted, "source": source[:40],
               "cancelled": len(cancelled)}  # fmt: skip
    audit.record(session, actor, Action.CONSENT_CHANGE, Target("customer", customer_id),
                 details, workspace_id=workspace_id)  # fmt: skip
    return cancelled


def _cancel_for_opt_out(
    session: Session, workspace_id: int, customer_id: int, channel: str, now: datetime
) -> list[int]:
    policy = get_policy(session, workspace_id)
    stopped = channels_governed_by(policy, channel)
    touches = repository.reserved_touches(session, workspace_id, customer_id, stopped, now)
    ids = [t.id for t in touches]
    if not ids:
        return []
    repository.cancel_touches(session, ids)
    outbox.cancel_for_touches(session, ids)
    columns: dict[str, Sequence[object]] = {
        "customer_id": [customer_id] * len(ids),
        "channel": [t.channel for t in touches],
        "source_kind": [t.source_kind for t in touches],
        "source_id": [t.source_id for t in touches],
        "reason": ["opted_out"] * len(ids),
        "planned_at": [t.planned_at for t in touches],
    }
    repository.insert_suppressions(session, columns, {"workspace_id": workspace_id})
    return ids


def set_time_zone(session: Session, workspace_id: int, customer_id: int, zone: str) -> None:
    """Set the time zone whose clock a customer's quiet hours and calendar days follow."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("policy.unknown_zone", zone=zone) from None
    repository.lock_customers(session, workspace_id, np.array([customer_id], dtype=np.int64))
    repository.set_time_zone(session, customer_id, zone)
