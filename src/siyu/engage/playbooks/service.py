"""Use cases of playbooks, the first-purchases journey and SOP plans (never commit).

A daily run picks, per stage, the customers whose rhythm is due (no contact for the stage's
``every_days``), the journey's buyers whose next purchase by their own cycle is
``lead_days`` away, and
each SOP plan's steps due today (days after joining or ordering; group and Moments posts by
weekday or date). Each customer message goes through the contact policy (it may be held back
or moved, and it competes by expected value with everything else planned), then into the
outbox; group and Moments posts keep to their per-day limits and out of the quiet hours.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from siyu.analytics import ladder, lifecycle
from siyu.engage.campaigns.rules import DEFAULT_UPLIFT, render
from siyu.engage.content import repository as content_repository
from siyu.engage.content import service as content
from siyu.engage.content.schemas import SopStep
from siyu.engage.playbooks import repository
from siyu.engage.playbooks.schemas import Playbooks
from siyu.engage.policy import repository as settings_repository
from siyu.engage.policy import service as policy
from siyu.engage.policy.rules import CHANNEL_REASONS, Limits, expected_value, quiet_adjusted
from siyu.engage.policy.schemas import ContactPolicy
from siyu.messaging import service as outbox
from siyu.messaging.rules import idempotency_key
from siyu.models import ContentTemplate, Segment, SopPlan
from siyu.recommend import repository as recommendations
from siyu.segments import service as segments
from siyu.segments.rules import Node, SegmentData, evaluate, parse_rule

PLAYBOOKS_KEY = "playbooks"
FIELDS = ("stage", "tier", "p_alive", "expected_spend_fen", "net_paid_fen", "n_purchases",
          "days_since_purchase")  # fmt: skip
FALLBACK_ORDER_VALUE_FEN = 10_000.0

REFILL = "refill"


def suggest_products(
    session: Session, workspace_id: int, customer_ids: Sequence[int], *, top: int = 1
) -> dict[int, list[dict[str, Any]]]:
    """Products to suggest per customer, best first: the published next-best products
    (`siyu recommend`); a customer with none published (never ran, or a newcomer since) gets
    what they bought last, as a refill. Customers who never bought anything get none."""
    found = recommendations.top_for_customers(session, workspace_id, customer_ids, top)
    missing = [c for c in customer_ids if c not in found]
    for customer, product in repository.last_products(session, workspace_id, missing).items():
        found[customer] = [product | {"reason": REFILL}]
    return found


def get_playbooks(session: Session, workspace_id: int) -> Playbooks:
    """The workspace's playbooks (the defaults until edited)."""
    stored = settings_repository.get_setting(session, workspace_id, PLAYBOOKS_KEY)
    return Playbooks.model_validate(stored) if stored else Playbooks()


def set_playbooks(session: Session, workspace_id: int, playbooks: Playbooks) -> None:
    """Save edited playbooks after checking their texts against the banned words."""
    for stage in playbooks.stages.values():
        content.check_texts(session, workspace_id, stage.content)
    content.check_texts(session, workspace_id, playbooks.journey.content)
    content.check_texts(session, workspace_id, playbooks.tasks.scripts)
    settings_repository.put_setting(
        session, workspace_id, PLAYBOOKS_KEY, playbooks.model_dump(mode="json")
    )


def local_time(now: datetime, hour: int, zone: str) -> datetime:
    """Today's `hour` o'clock in the zone, or now when that has passed."""
    local = now.astimezone(ZoneInfo(zone))
    at = datetime.combine(local.date(), time(hour), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return max(at, now)


@dataclass
class SendReport:
    """What one run sent and held back."""

    candidates: int = 0
    queued: int = 0
    held_back: dict[str, int] = field(default_factory=dict)

    def add(self, other: SendReport) -> None:
        """Add another run's counts."""
        self.candidates += other.candidates
        self.queued += other.queued
        for reason, n in other.held_back.items():
            self.held_back[reason] = self.held_back.get(reason, 0) + n


def order_values(data: SegmentData, rows: NDArray[np.int64]) -> tuple[NDArray[np.float64], float]:
    """Expected order value per row (the model's, else their average so far) and a fallback."""
    spend = data.columns["expected_spend_fen"][rows]
    past = data.columns["net_paid_fen"][rows] / np.maximum(data.columns["n_purchases"][rows], 1)
    value = np.where(np.isnan(spend), np.where(past > 0, past, np.nan), spend)
    known = value[~np.isnan(value)]
    return value, float(known.mean()) if known.size else FALLBACK_ORDER_VALUE_FEN


@dataclass
class Message:
    """One kind of message to some customers (rows of the loaded data)."""

    source_kind: str
    source_id: int | None
    channel: str
    content: Mapping[str, str]
    offer: str
    offer_text: str
    uplift: float
    send_at: datetime
    major: bool = False
    key: str = ""
    reschedule_days: int = 0
    fallback_channels: Sequence[str] = ()


def send(
    session: Session,
    workspace_id: int,
    data: SegmentData,
    rows: NDArray[np.int64],
    message: Message,
    *,
    now: datetime,
) -> SendReport:
    """Ask the policy for a slot for each customer and queue the admitted messages."""
    report = SendReport(candidates=int(rows.size))
    if rows.size == 0:
        return report
    found = policy.get_policy(session, workspace_id)
    order_value, fallback = order_values(data, rows)
    gross = expected_value(
        uplift=message.uplift, p_alive=data.columns["p_alive"][rows], order_value_fen=order_value,
        cost_fen=0.0, fallback_order_value_fen=fallback,
    )  # fmt: skip
    todo = np.arange(rows.size)
    channels = [message.channel, *message.fallback_channels]
    for step, channel in enumerate(channels):
        cost = found.channels[channel].cost_fen if channel in found.channels else 0.0
        reserved = policy.reserve(session, workspace_id, policy.ContactRequest(
            customer_ids=data.customer_ids[rows[todo]], channel=channel,
            value=gross[todo] - cost, send_at=message.send_at.timestamp(),
            source_kind=message.source_kind, source_id=message.source_id,
            promotion=message.offer != "none", major=message.major,
            reschedule_days=message.reschedule_days,
        ), now=now, policy=found)  # fmt: skip
        admitted = np.flatnonzero(reserved.admitted)
        report.queued += int(admitted.size)
        if admitted.size:
            _queue(session, workspace_id, data, rows[todo[admitted]], message, reserved, admitted,
                   channel)  # fmt: skip
        reasons = np.asarray(reserved.reasons, dtype=object)
        retry = ~reserved.admitted & np.isin(reasons, list(CHANNEL_REASONS))
        last = step == len(channels) - 1
        for reason in reasons[~reserved.admitted & (~retry | last)].tolist():
            report.held_back[reason] = report.held_back.get(reason, 0) + 1
        todo = todo[retry]
        if todo.size == 0:
            break
    return report


def _queue(
    session: Session,
    workspace_id: int,
    data: SegmentData,
    rows: NDArray[np.int64],
    message: Message,
    reserved: policy.Reservation,
    admitted: NDArray[np.int64],
    channel: str,
) -> None:
    ids = data.customer_ids[rows].tolist()
    wants_product = any("{product}" in v for v in message.content.values())
    suggested = suggest_products(session, workspace_id, ids) if wants_product else {}
    products = {c: found[0] for c, found in suggested.items()}
    stages = np.asarray([*lifecycle.STAGE_LABELS["zh-CN"], ""], dtype=object)
    tiers = np.asarray([*ladder.TIER_LABELS["zh-CN"], ""], dtype=object)
    stage, tier = data.columns["stage"][rows], data.columns["tier"][rows]
    days = data.columns["days_since_purchase"][rows]
    brand = settings_repository.workspace_name(session, workspace_id)
    payloads = []
    for i, customer in enumerate(ids):
        product = products.get(customer)
        since = "" if np.isnan(days[i]) else str(int(days[i]))
        values = {"stage": stages[stage[i]], "tier": tiers[tier[i]], "brand": brand,
                  "offer": message.offer_text, "product": product["name"] if product else "",
                  "days_since_purchase": since}  # fmt: skip
        extra = {"products": [product]} if product else {}
        payloads.append(render(message.content, values) | extra)
    staff = reserved.staff_ids[admitted].tolist()
    outbox.enqueue(
        session, workspace_id, channel=channel,
        keys=[idempotency_key(message.source_kind, message.source_id, c, message.key)
              for c in ids],
        payloads=payloads,
        send_at=[datetime.fromtimestamp(t, UTC) for t in reserved.send_at[admitted].tolist()],
        source_kind=message.source_kind, source_id=message.source_id, customer_ids=ids,
        touch_ids=reserved.touch_ids[admitted].tolist(),
        staff_ids=[s if s >= 0 else None for s in staff],
    )  # fmt: skip


def _due_rule(stage: str, every_days: int) -> dict[str, Any]:
    return {"all": [
        {"field": "stage", "op": "=", "value": stage},
        {"any": [{"field": "days_since_touch", "op": "is_null"},
                 {"field": "days_since_touch", "op": ">=", "value": every_days}]},
    ]}  # fmt: skip


def run_playbooks(
    session: Session,
    workspace_id: int,
    now: datetime,
    *,
    major_promotion: bool = False,
    committed: bool = False,
) -> dict[str, SendReport]:
    """Send each enabled stage's message to its customers whose rhythm is due (churned
    customers only during a declared major promotion)."""
    books = get_playbooks(session, workspace_id)
    zone = policy.get_policy(session, workspace_id).default_time_zone
    reports: dict[str, SendReport] = {}
    for stage, book in books.stages.items():
        if not book.enabled or (book.major_promotions_only and not major_promotion):
            continue
        node = parse_rule(_due_rule(stage, book.every_days))
        data = segments.load(session, workspace_id, node, now, also=FIELDS, committed=committed)
        rows = np.flatnonzero(evaluate(node, data))
        uplift = book.expected_uplift if book.expected_uplift is not None else DEFAULT_UPLIFT[
            book.offer]  # fmt: skip
        message = Message(
            source_kind="playbook", source_id=lifecycle.STAGES.index(stage), channel=book.channel,
            content=book.content, offer=book.offer, offer_text=books.offers.get(book.offer, ""),
            uplift=uplift, send_at=local_time(now, book.send_hour, zone),
            major=book.major_promotions_only, key=now.astimezone(ZoneInfo(zone)).date().isoformat(),
            fallback_channels=book.fallback_channels,
        )  # fmt: skip
        reports[stage] = send(session, workspace_id, data, rows, message, now=now)
    return reports


def run_journey(
    session: Session, workspace_id: int, now: datetime, *, committed: bool = False
) -> SendReport:
    """Nudge buyers in their first purchases whose next purchase by their own cycle is at
    most `lead_days` away, once per purchase count, with a suggested product."""
    books = get_playbooks(session, workspace_id)
    journey = books.journey
    if not journey.enabled:
        return SendReport()
    lead = journey.lead_days
    # due by their own cycle within lead days (a missed daily run is caught up the next day;
    # one nudge per purchase count all the same)
    rule = {"all": [
        {"field": "n_purchases", "op": "between", "value": [1, journey.max_purchases]},
        {"field": "days_to_due", "op": "between", "value": [-1, lead]},
    ]}  # fmt: skip
    node = parse_rule(rule)
    data = segments.load(session, workspace_id, node, now, also=FIELDS, committed=committed)
    rows = np.flatnonzero(evaluate(node, data))
    zone = policy.get_policy(session, workspace_id).default_time_zone
    report = SendReport()
    purchases = data.columns["n_purchases"].astype(np.int64)
    for n in np.unique(purchases[rows]).tolist():  # one nudge per purchase count
        mine = rows[purchases[rows] == n]
        already = settings_repository.touched_by(session, workspace_id, "journey", int(n),
                                                 data.customer_ids[mine])  # fmt: skip
        mine = mine[~np.isin(data.customer_ids[mine], already)]
        message = Message(
            source_kind="journey", source_id=int(n), channel=journey.channel,
            content=journey.content, offer=journey.offer,
            offer_text=books.offers.get(journey.offer, ""), uplift=journey.expected_uplift,
            send_at=local_time(now, journey.send_hour, zone), key=f"after{n}",
            fallback_channels=journey.fallback_channels,
        )  # fmt: skip
        report.add(send(session, workspace_id, data, mine, message, now=now))
    return report


# ----------------------------------------------------------------------------- SOP plans


def _steps_today(plan: SopPlan, today: date) -> list[tuple[int, SopStep]]:
    due = []
    for i, raw in enumerate(plan.steps):
        step = SopStep.model_validate(raw)
        if plan.trigger in ("joined", "ordered"):
            due.append((i, step))
        elif step.on is not None:
            if step.on == today:
                due.append((i, step))
        elif step.weekday is None or step.weekday == today.weekday():
            due.append((i, step))
    return due


def _local_window(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    return start, start + timedelta(days=1)


@dataclass
class SopReport:
    """What a day's SOP run queued and held back, per plan."""

    queued: dict[str, int] = field(default_factory=dict)
    held_back: dict[str, dict[str, int]] = field(default_factory=dict)


def run_sops(
    session: Session, workspace_id: int, now: datetime, *, committed: bool = False
) -> SopReport:
    """Queue every active plan's content due today: customer steps through the contact policy,
    group and Moments posts within their per-day limits and out of the quiet hours."""
    found_policy = policy.get_policy(session, workspace_id)
    zone = ZoneInfo(found_policy.default_time_zone)
    today = now.astimezone(zone).date()
    report = SopReport()
    loaded: dict[str, tuple[Node, SegmentData]] = {}
    for plan in content_repository.plans(session, workspace_id, active_only=True):
        queued, held = 0, dict[str, int]()
        for index, step in _steps_today(plan, today):
            template = content_repository.get_template(session, workspace_id, step.template)
            if template is None:
                held["template_missing"] = held.get("template_missing", 0) + 1
                continue
            at = datetime.combine(today, time(step.hour, step.minute), tzinfo=zone)
            send_at = max(at.astimezone(UTC), now)
            if plan.trigger in ("joined", "ordered"):
                audience = _audience(session, workspace_id, plan, now, committed, loaded)
                sent = _customer_step(session, workspace_id, plan, index, step, template, today,
                                      send_at, now, zone, audience)  # fmt: skip
                queued += sent.queued
                for reason, n in sent.held_back.items():
                    held[reason] = held.get(reason, 0) + n
            else:
                queued += _posts(session, workspace_id, plan, index, template, today, send_at,
                                 found_policy, zone)  # fmt: skip
        report.queued[plan.code] = queued
        report.held_back[plan.code] = held
    return report


def _audience(
    session: Session,
    workspace_id: int,
    plan: SopPlan,
    now: datetime,
    committed: bool,
    loaded: dict[str, tuple[Node, SegmentData]],
) -> tuple[Node, SegmentData]:
    """The plan's segment (or everyone) with the fields messages need, loaded once a run."""
    rule: dict[str, Any] = {"field": "n_purchases", "op": ">=", "value": 0}
    if plan.segment_id is not None:
        stored = session.get(Segment, plan.segment_id)
        rule = stored.rule if stored is not None else rule
    key = json.dumps(rule, sort_keys=True)
    if key not in loaded:
        node = parse_rule(rule)
        data = segments.load(session, workspace_id, node, now, also=FIELDS, committed=committed)
        loaded[key] = (node, data)
    return loaded[key]


def _customer_step(
    session: Session,
    workspace_id: int,
    plan: SopPlan,
    index: int,
    step: SopStep,
    template: ContentTemplate,
    today: date,
    send_at: datetime,
    now: datetime,
    zone: ZoneInfo,
    audience: tuple[Node, SegmentData],
) -> SendReport:
    assert step.day is not None
    start, end = _local_window(today - timedelta(days=step.day), zone)
    if plan.trigger == "joined":
        who = content_repository.joined_between(session, workspace_id, start, end)
    else:
        who = content_repository.ordered_between(session, workspace_id, start, end)
    source_id = plan.id * 100 + index
    who = who[~np.isin(who, settings_repository.touched_by(session, workspace_id, "sop", source_id,
                                                          np.unique(who)))]  # fmt: skip
    if who.size == 0:
        return SendReport()
    node, data = audience
    rows = np.flatnonzero(evaluate(node, data) & np.isin(data.customer_ids, who))
    offer = "small" if template.is_promotion else "none"
    message = Message(
        source_kind="sop", source_id=source_id, channel=plan.channel,
        content=content.template_payload(template), offer=offer, offer_text="",
        uplift=DEFAULT_UPLIFT[offer], send_at=send_at, key=f"{plan.code}:{index}",
    )  # fmt: skip
    return send(session, workspace_id, data, rows, message, now=now)


def _posts(
    session: Session,
    workspace_id: int,
    plan: SopPlan,
    index: int,
    template: ContentTemplate,
    today: date,
    send_at: datetime,
    found_policy: ContactPolicy,
    zone: ZoneInfo,
) -> int:
    group = plan.trigger == "group_daily"
    channel = "wecom_group" if group else "wecom_moments"
    limit = found_policy.group_posts_per_day if group else found_policy.moments_per_day
    targets = plan.targets or (
        content_repository.group_refs(session, workspace_id) if group else []
    )
    staff = {} if group else content_repository.staff_ids(session, workspace_id, targets)
    start, end = _local_window(today, zone)
    posted = content_repository.posts_between(session, workspace_id, channel, start, end)
    keys = {t: idempotency_key("sop", plan.id, None, t, today.isoformat(), str(index))
            for t in targets}  # fmt: skip
    known = content_repository.existing_keys(session, workspace_id, list(keys.values()))
    chosen = [t for t in targets if keys[t] not in known and posted.get(t, 0) < limit]
    if not chosen:
        return 0
    limits = Limits.compile(found_policy)
    offset = int((send_at.astimezone(zone).utcoffset() or timedelta()).total_seconds())
    when = quiet_adjusted(np.array([send_at.timestamp()]), np.array([offset]),
                          limits.quiet_start_s, limits.quiet_end_s)[0]  # fmt: skip
    brand = settings_repository.workspace_name(session, workspace_id)
    payload = render(content.template_payload(template), {"brand": brand})
    outbox.enqueue(
        session, workspace_id, channel=channel, keys=[keys[t] for t in chosen],
        payloads=[payload] * len(chosen),
        send_at=[datetime.fromtimestamp(when, UTC)] * len(chosen), source_kind="sop",
        source_id=plan.id, targets=chosen,
        staff_ids=[staff.get(t) for t in chosen] if not group else None,
    )  # fmt: skip
    return len(chosen)
