"""Use cases of campaigns (never commit): create, plan, launch one chunk, measure results.

A launch assigns every audience customer to the holdout, control or treatment arm, asks the
contact policy to reserve a slot for each treatment customer (under its row locks), writes
their outbox messages with the reserved touch ids, and records every member with the policy's
decision; control and holdout members get the same decision made for them without sending,
so results can compare like with like.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from siyu.analytics import ladder, lifecycle
from siyu.engage.campaigns import repository
from siyu.engage.campaigns.rules import (
    ARMS,
    CONTROL,
    DEFAULT_UPLIFT,
    HOLDOUT,
    TREATMENT,
    Estimate,
    assign,
    in_holdout,
    mean_difference,
    proportion_difference,
    render,
    unknown_fields,
)
from siyu.engage.campaigns.schemas import (
    ArmFigures,
    CampaignCreate,
    CampaignDetail,
    CampaignPlan,
    CampaignRead,
    CampaignResults,
    Comparison,
    PauseReport,
    VariantSpec,
)
from siyu.engage.content import service as content
from siyu.engage.playbooks import service as playbooks
from siyu.engage.policy import repository as policy_repository
from siyu.engage.policy import service as policy
from siyu.engage.policy.rules import CHANNEL_REASONS, expected_value
from siyu.kit.errors import ConflictError, NotFoundError, ValidationError
from siyu.messaging import service as outbox
from siyu.messaging.rules import idempotency_key
from siyu.models import Campaign, CampaignVariant
from siyu.segments import service as segments
from siyu.segments.rules import evaluate, parse_rule

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

HOLDOUT_KEY = "holdout"
FALLBACK_ORDER_VALUE_FEN = 10_000.0
PROFILE_FIELDS = ("p_alive", "expected_spend_fen", "net_paid_fen", "n_purchases", "stage",
                  "tier", "days_since_purchase")  # fmt: skip


class HoldoutSetting(BaseModel):
    """The brand-wide holdout: a share of customers no campaign that honours it contacts."""

    share: float = Field(default=0.0, ge=0, le=0.5)
    salt: int = 0


def get_holdout(session: Session, workspace_id: int) -> HoldoutSetting:
    """The workspace's holdout (none until set)."""
    stored = policy_repository.get_setting(session, workspace_id, HOLDOUT_KEY)
    return HoldoutSetting.model_validate(stored) if stored else HoldoutSetting()


def set_holdout(session: Session, workspace_id: int, share: float) -> HoldoutSetting:
    """Set the holdout share; its salt is drawn once, so the same customers stay held out."""
    current = get_holdout(session, workspace_id)
    setting = HoldoutSetting(share=share, salt=current.salt or secrets.randbits(62))
    policy_repository.put_setting(session, workspace_id, HOLDOUT_KEY, setting.model_dump())
    return setting


def create_campaign(session: Session, workspace_id: int, data: CampaignCreate) -> CampaignRead:
    """Save a draft campaign after checking its segment, variants and content."""
    if repository.get_campaign(session, workspace_id, data.code) is not None:
        raise ConflictError("campaign.exists", code=data.code)
    segment = segments.require_segment(session, workspace_id, data.segment)
    codes = [v.code for v in data.variants]
    if len(set(codes)) != len(codes):
        raise ValidationError("campaign.variant_codes", codes=", ".join(codes))
    for variant in data.variants:
        for channel in (data.channel, *data.fallback_channels):
            texts = variant.for_channel(channel)
            unknown = unknown_fields(texts)
            if unknown:
                raise ValidationError("campaign.unknown_variables", variant=variant.code,
                                      names=", ".join(sorted(unknown)))  # fmt: skip
            content.check_texts(session, workspace_id, texts)
    campaign = Campaign(
        workspace_id=workspace_id, code=data.code, name=data.name or data.code,
        segment_id=segment.id, audience_rule=segment.rule, channel=data.channel,
        fallback_channels=list(data.fallback_channels),
        send_at=data.send_at.astimezone(UTC), offer=data.offer,
        is_major=data.major or data.offer == "major",
        expected_uplift=data.expected_uplift if data.expected_uplift is not None
        else DEFAULT_UPLIFT[data.offer],
        control_share=data.control_share, use_holdout=data.use_holdout,
        reschedule_days=data.reschedule_days, attribution_days=data.attribution_days,
        seed=data.seed if data.seed is not None else secrets.randbits(62),
    )  # fmt: skip
    variants = [CampaignVariant(code=v.code, weight=v.weight, content=v.content,
                                by_channel={k: dict(c) for k, c in v.by_channel.items()})
                for v in data.variants]  # fmt: skip
    repository.add_campaign(session, campaign, variants)
    return CampaignRead.model_validate(campaign)


def require_campaign(session: Session, workspace_id: int, code: str) -> Campaign:
    """The campaign with this code, or NotFoundError."""
    campaign = repository.get_campaign(session, workspace_id, code)
    if campaign is None:
        raise NotFoundError("campaign.not_found", code=code)
    return campaign


def list_campaigns(session: Session, workspace_id: int) -> list[CampaignRead]:
    """Every campaign of the workspace."""
    return [
        CampaignRead.model_validate(c) for c in repository.list_campaigns(session, workspace_id)
    ]


def detail(session: Session, workspace_id: int, code: str) -> CampaignDetail:
    """A campaign with its segment's code, its variants and its messages by status."""
    campaign = require_campaign(session, workspace_id, code)
    segment = repository.segment_code(session, campaign.segment_id)
    variants = [VariantSpec(code=v.code, weight=v.weight, content=v.content,
                            by_channel=v.by_channel)
                for v in repository.variants_of(session, campaign.id)]  # fmt: skip
    return CampaignDetail.model_validate(
        CampaignRead.model_validate(campaign).model_dump()
        | {"segment": segment, "variants": variants,
           "messages": repository.message_counts(session, campaign.id)}
    )  # fmt: skip


def pause(session: Session, workspace_id: int, code: str) -> PauseReport:
    """Pause a launched campaign: its messages not yet sent are held until it resumes (the
    contact slots stay reserved; the worker checks consent again when they go)."""
    campaign = require_campaign(session, workspace_id, code)
    if campaign.status != "launched":
        raise ConflictError("campaign.not_pausable", code=code, status=campaign.status)
    held = repository.hold_messages(session, campaign.id, held=True)
    repository.set_status(session, campaign.id, "paused")
    return PauseReport(code=code, status="paused", messages=held)


def resume(session: Session, workspace_id: int, code: str) -> PauseReport:
    """Resume a paused campaign: its held messages are released to the worker."""
    campaign = require_campaign(session, workspace_id, code)
    if campaign.status != "paused":
        raise ConflictError("campaign.not_paused", code=code, status=campaign.status)
    released = repository.hold_messages(session, campaign.id, held=False)
    repository.set_status(session, campaign.id, "launched")
    return PauseReport(code=code, status="launched", messages=released)


@dataclass
class Audience:
    """The audience at launch time, one row per customer (ascending ids)."""

    ids: IntArray
    value: FloatArray
    prior_purchases: IntArray
    stage: IntArray
    tier: IntArray
    days_since: FloatArray
    arm: IntArray
    variant: IntArray

    def take(self, rows: IntArray | slice) -> Audience:
        """The rows selected."""
        return Audience(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


def audience(
    session: Session,
    workspace_id: int,
    campaign: Campaign,
    now: datetime,
    *,
    committed: bool = False,
) -> Audience:
    """Who the campaign reaches now, their arms and the expected value of a message to each
    (``committed``: read through the fast reader of the committed state)."""
    node = parse_rule(campaign.audience_rule)
    data = segments.load(session, workspace_id, node, now, also=PROFILE_FIELDS,
                         committed=committed)  # fmt: skip
    rows = np.flatnonzero(evaluate(node, data))
    column = {name: data.columns[name][rows] for name in PROFILE_FIELDS}
    ids = data.customer_ids[rows]
    value = _values(session, workspace_id, campaign, column)
    weights = [v.weight for v in repository.variants_of(session, campaign.id)]
    arm, variant = assign(ids, seed=campaign.seed, control_share=campaign.control_share,
                          weights=weights)  # fmt: skip
    if campaign.use_holdout:
        setting = get_holdout(session, workspace_id)
        arm[in_holdout(ids, salt=setting.salt, share=setting.share)] = HOLDOUT
    purchases = np.nan_to_num(column["n_purchases"]).astype(np.int64)
    return Audience(ids, value, purchases, column["stage"], column["tier"],
                    column["days_since_purchase"], arm, variant)  # fmt: skip


def _values(
    session: Session, workspace_id: int, campaign: Campaign, column: dict[str, FloatArray]
) -> FloatArray:
    spend = column["expected_spend_fen"]
    per_order = column["net_paid_fen"] / np.maximum(column["n_purchases"], 1)
    order_value = np.where(np.isnan(spend), np.where(per_order > 0, per_order, np.nan), spend)
    known = order_value[~np.isnan(order_value)]
    fallback = float(known.mean()) if known.size else FALLBACK_ORDER_VALUE_FEN
    return expected_value(
        uplift=campaign.expected_uplift, p_alive=column["p_alive"], order_value_fen=order_value,
        cost_fen=0.0, fallback_order_value_fen=fallback,
    )  # fmt: skip


def channels_of(campaign: Campaign) -> list[str]:
    """The campaign's channel, then its fallbacks, in the order they are tried."""
    return [campaign.channel, *campaign.fallback_channels]


def _request(
    campaign: Campaign, people: Audience, channel: str, cost_fen: float
) -> policy.ContactRequest:
    return policy.ContactRequest(
        customer_ids=people.ids, channel=channel, value=people.value - cost_fen,
        send_at=campaign.send_at.timestamp(), source_kind="campaign", source_id=campaign.id,
        promotion=campaign.offer != "none", major=campaign.is_major,
        reschedule_days=campaign.reschedule_days,
    )  # fmt: skip


Decide = Callable[[policy.ContactRequest], policy.Reservation]


@dataclass
class Decided:
    """The policy's answer per customer across the campaign's channels."""

    admitted: BoolArray
    reasons: list[str]
    channel: list[str]
    send_at: FloatArray
    moved_days: IntArray
    touch_ids: IntArray
    staff_ids: IntArray
    cost_fen: FloatArray


def decide_channels(
    session: Session, workspace_id: int, campaign: Campaign, people: Audience, ask: Decide
) -> Decided:
    """Ask the policy on the campaign's channel, then on each fallback for the customers the
    previous channel could not take."""
    n = people.ids.size
    first = campaign.channel
    out = Decided(np.zeros(n, dtype=np.bool_), [""] * n, [first] * n, np.zeros(n),
                  np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64),
                  np.full(n, -1, dtype=np.int64), np.zeros(n))  # fmt: skip
    costs = policy.get_policy(session, workspace_id).channels
    todo = np.arange(n)
    for channel in channels_of(campaign):
        if todo.size == 0:
            break
        cost = costs[channel].cost_fen if channel in costs else 0.0
        answer = ask(_request(campaign, people.take(todo), channel, cost))
        out.admitted[todo] = answer.admitted
        out.send_at[todo], out.moved_days[todo] = answer.send_at, answer.moved_days
        out.touch_ids[todo], out.staff_ids[todo] = answer.touch_ids, answer.staff_ids
        out.cost_fen[todo] = cost
        for row, reason in zip(todo.tolist(), answer.reasons, strict=True):
            out.reasons[row], out.channel[row] = reason, channel
        retry = ~answer.admitted & np.isin(np.asarray(answer.reasons, dtype=object),
                                           list(CHANNEL_REASONS))  # fmt: skip
        todo = todo[retry]
    return out


def plan(
    session: Session, workspace_id: int, code: str, now: datetime, *, committed: bool = False
) -> CampaignPlan:
    """What launching now would do, decided by the contact policy, without writing anything
    (``committed``: read the committed state through the fast reader)."""
    started = time.perf_counter()
    campaign = require_campaign(session, workspace_id, code)
    people = audience(session, workspace_id, campaign, now, committed=committed)
    held = people.arm == HOLDOUT
    asked = people.take(np.flatnonzero(~held))
    decided = decide_channels(session, workspace_id, campaign, asked, lambda request: (
        policy.evaluate(session, workspace_id, request, now=now, committed=committed)))  # fmt: skip
    treated = asked.arm == TREATMENT
    admitted = decided.admitted & treated
    reasons: dict[str, int] = {}
    for reason, ok in zip(np.asarray(decided.reasons)[treated].tolist(),
                          decided.admitted[treated].tolist(), strict=True):  # fmt: skip
        if not ok:
            reasons[reason] = reasons.get(reason, 0) + 1
    codes = [v.code for v in repository.variants_of(session, campaign.id)]
    by_variant = {c: int((admitted & (asked.variant == i)).sum()) for i, c in enumerate(codes)}
    used = np.asarray(decided.channel, dtype=object)
    by_channel = {c: int((admitted & (used == c)).sum()) for c in channels_of(campaign)}
    return CampaignPlan(
        audience=int(people.ids.size), holdout=int(held.sum()),
        control=int((asked.arm == CONTROL).sum()), treatment=int(treated.sum()),
        admitted=int(admitted.sum()),
        rescheduled=int((admitted & (decided.moved_days > 0)).sum()),
        control_eligible=int((decided.admitted & (asked.arm == CONTROL)).sum()),
        by_reason=dict(sorted(reasons.items(), key=lambda kv: -kv[1])), by_variant=by_variant,
        by_channel=by_channel,
        expected_value_fen=float((asked.value - decided.cost_fen)[admitted].sum()),
        seconds=time.perf_counter() - started,
    )  # fmt: skip


@dataclass
class ChunkReport:
    """What one launch chunk wrote."""

    members: int = 0
    queued: int = 0
    suppressed: int = 0
    control: int = 0
    holdout: int = 0
    resumed: int = 0


def _labels(names: Sequence[str], labels: Sequence[str], codes: IntArray) -> list[str]:
    table = np.asarray([*labels, ""], dtype=object)
    return table[np.where(codes >= 0, codes, len(names))].tolist()  # type: ignore[no-any-return]


def launch_chunk(
    session: Session,
    workspace_id: int,
    campaign: Campaign,
    people: Audience,
    *,
    now: datetime,
) -> ChunkReport:
    """Launch the campaign to some of its audience (ascending ids) in the caller's
    transaction; customers already members (an earlier, interrupted launch) are skipped."""
    report = ChunkReport()
    if people.ids.size == 0:
        return report
    done = repository.member_ids(session, campaign.id, int(people.ids[0]), int(people.ids[-1]))
    fresh = ~np.isin(people.ids, done)
    report.resumed = int((~fresh).sum())
    people = people.take(np.flatnonzero(fresh))
    treated = people.take(np.flatnonzero(people.arm == TREATMENT))
    others = people.take(np.flatnonzero(people.arm != TREATMENT))
    reserved = decide_channels(session, workspace_id, campaign, treated, lambda request: (
        policy.reserve(session, workspace_id, request, now=now)))  # fmt: skip
    ghost = decide_channels(session, workspace_id, campaign, others, lambda request: (
        policy.evaluate(session, workspace_id, request, now=now)))  # fmt: skip
    messages = _enqueue(session, workspace_id, campaign, treated, reserved)
    _members(session, campaign, treated, reserved, messages)
    _members(session, campaign, others, ghost, np.full(others.ids.size, -1, dtype=np.int64))
    report.members = int(people.ids.size)
    report.queued = int(reserved.admitted.sum())
    report.suppressed = int((~reserved.admitted).sum())
    report.control = int((others.arm == CONTROL).sum())
    report.holdout = int((others.arm == HOLDOUT).sum())
    return report


def _enqueue(
    session: Session,
    workspace_id: int,
    campaign: Campaign,
    treated: Audience,
    reserved: Decided,
) -> IntArray:
    message_ids = np.full(treated.ids.size, -1, dtype=np.int64)
    used = np.asarray(reserved.channel, dtype=object)
    for channel in channels_of(campaign):
        rows = np.flatnonzero(reserved.admitted & (used == channel))
        if rows.size:
            message_ids[rows] = _enqueue_on(session, workspace_id, campaign, treated, reserved,
                                            rows, channel)  # fmt: skip
    return message_ids


def _enqueue_on(
    session: Session,
    workspace_id: int,
    campaign: Campaign,
    treated: Audience,
    reserved: Decided,
    rows: IntArray,
    channel: str,
) -> list[int]:
    variants = repository.variants_of(session, campaign.id)
    brand = policy_repository.workspace_name(session, workspace_id)
    wants_product = any(
        "{product}" in text
        for v in variants
        for text in {**v.content, **v.by_channel.get(channel, {})}.values()
    )
    suggested = playbooks.suggest_products(
        session, workspace_id, treated.ids[rows].tolist()) if wants_product else {}  # fmt: skip
    stages = _labels(lifecycle.STAGES, lifecycle.STAGE_LABELS["zh-CN"], treated.stage[rows])
    tiers = _labels(ladder.TIERS, ladder.TIER_LABELS["zh-CN"], treated.tier[rows])
    payloads = []
    for i, row in enumerate(rows.tolist()):
        variant = variants[int(treated.variant[row])]
        texts = {**variant.content, **variant.by_channel.get(channel, {})}
        days = treated.days_since[row]
        product = suggested.get(int(treated.ids[row]), [None])[0]
        values = {"stage": stages[i], "tier": tiers[i], "brand": brand,
                  "product": product["name"] if product else "", "offer": texts.get("offer", ""),
                  "days_since_purchase": "" if np.isnan(days) else str(int(days))}  # fmt: skip
        extra = {"products": [product]} if product else {}
        payloads.append(render(texts, values) | {"variant": variant.code} | extra)
    customers = treated.ids[rows].tolist()
    keys = [idempotency_key("campaign", campaign.id, c) for c in customers]
    staff = reserved.staff_ids[rows].tolist()
    return outbox.enqueue(
        session, workspace_id, channel=channel, keys=keys, payloads=payloads,
        send_at=[datetime.fromtimestamp(t, UTC) for t in reserved.send_at[rows].tolist()],
        source_kind="campaign", source_id=campaign.id, customer_ids=customers,
        touch_ids=reserved.touch_ids[rows].tolist(),
        staff_ids=[s if s >= 0 else None for s in staff],
    )  # fmt: skip


def _members(
    session: Session,
    campaign: Campaign,
    people: Audience,
    decided: Decided,
    message_ids: IntArray,
) -> None:
    variants = [v.code for v in repository.variants_of(session, campaign.id)]
    arms = np.asarray(ARMS, dtype=object)[people.arm].tolist()
    variant = [variants[v] if a == TREATMENT else "" for a, v in
               zip(people.arm.tolist(), people.variant.tolist(), strict=True)]  # fmt: skip
    send_at = [datetime.fromtimestamp(t, UTC) if ok else None for t, ok in
               zip(decided.send_at.tolist(), decided.admitted.tolist(), strict=True)]  # fmt: skip
    repository.add_members(session, {
        "customer_id": people.ids.tolist(), "arm": arms, "variant": variant,
        "eligible": decided.admitted.tolist(), "reason": decided.reasons,
        "channel": decided.channel,
        "message_id": [m if m >= 0 else None for m in message_ids.tolist()],
        "send_at": send_at, "value_fen": (people.value - decided.cost_fen).tolist(),
        "prior_purchases": people.prior_purchases.tolist(),
    }, {"campaign_id": campaign.id})  # fmt: skip


# ----------------------------------------------------------------------------- results


def results(
    session: Session, workspace_id: int, code: str, now: datetime, *, confidence: float = 0.95
) -> CampaignResults:
    """Increments of conversion, revenue per customer and repurchase over control (and over
    the holdout), for everyone assigned and for the eligible, with confidence intervals."""
    campaign = require_campaign(session, workspace_id, code)
    if campaign.launched_at is None:
        raise ValidationError("campaign.not_launched", code=code)
    start = campaign.send_at
    planned_end = start + timedelta(days=campaign.attribution_days)
    end = min(now, planned_end)
    _ids, arm, variant, eligible, prior, orders, revenue = repository.member_outcomes(
        session, campaign.id, start, end
    )
    arms = np.asarray(arm, dtype=object)
    data = _Outcomes(
        arm=np.select([arms == "treatment", arms == "control"], [TREATMENT, CONTROL], HOLDOUT),
        variant=np.asarray(variant, dtype=object), eligible=np.asarray(eligible, dtype=np.bool_),
        prior=np.asarray(prior, dtype=np.int64), converted=np.asarray(orders, dtype=np.int64) > 0,
        revenue=np.asarray(revenue, dtype=np.float64),
    )  # fmt: skip
    figures = {name: data.figures(data.arm == code_) for code_, name in enumerate(ARMS)}
    comparisons = _comparisons(data, [v.code for v in repository.variants_of(session, campaign.id)],
                               confidence)  # fmt: skip
    return CampaignResults(
        code=code, window_start=start, window_end=end, complete=now >= planned_end,
        confidence=confidence, arms={k: v for k, v in figures.items() if v.customers},
        comparisons=comparisons,
    )  # fmt: skip


@dataclass
class _Outcomes:
    arm: IntArray
    variant: NDArray[Any]
    eligible: BoolArray
    prior: IntArray
    converted: BoolArray
    revenue: FloatArray

    def figures(self, rows: BoolArray) -> ArmFigures:
        buyers = rows & (self.prior > 0)
        return ArmFigures(
            customers=int(rows.sum()), eligible=int((rows & self.eligible).sum()),
            converted=int((rows & self.converted).sum()),
            converted_eligible=int((rows & self.converted & self.eligible).sum()),
            revenue_fen=int(self.revenue[rows].sum()), prior_buyers=int(buyers.sum()),
            repurchased=int((buyers & self.converted).sum()),
        )  # fmt: skip


def _comparisons(data: _Outcomes, variants: list[str], confidence: float) -> list[Comparison]:
    treated = data.arm == TREATMENT
    groups = [("treatment", treated)]
    if len(variants) > 1:
        groups += [(f"variant {v}", treated & (data.variant == v)) for v in variants]
    baselines = [("control", data.arm == CONTROL), ("holdout", data.arm == HOLDOUT)]
    out: list[Comparison] = []
    for base_name, base in baselines:
        if not base.any():
            continue
        for label, group in groups:
            for population in ("all", "eligible"):
                t_rows = group & data.eligible if population == "eligible" else group
                c_rows = base & data.eligible if population == "eligible" else base
                name = label if base_name == "control" else f"{label} vs holdout"
                out += _metrics(data, name, population, t_rows, c_rows, confidence)
    return out


def _metrics(
    data: _Outcomes,
    label: str,
    population: str,
    t_rows: BoolArray,
    c_rows: BoolArray,
    confidence: float,
) -> list[Comparison]:
    n_t, n_c = int(t_rows.sum()), int(c_rows.sum())
    conversion = proportion_difference(int(data.converted[t_rows].sum()), n_t,
                                       int(data.converted[c_rows].sum()), n_c,
                                       confidence=confidence)  # fmt: skip
    revenue = mean_difference(data.revenue[t_rows], data.revenue[c_rows], confidence=confidence)
    buyers_t, buyers_c = t_rows & (data.prior > 0), c_rows & (data.prior > 0)
    repurchase = proportion_difference(int(data.converted[buyers_t].sum()), int(buyers_t.sum()),
                                       int(data.converted[buyers_c].sum()), int(buyers_c.sum()),
                                       confidence=confidence)  # fmt: skip
    return [
        _comparison(label, population, "conversion", conversion, n_t, n_c),
        _comparison(label, population, "revenue_per_customer_fen", revenue, n_t, n_c),
        _comparison(label, population, "repurchase", repurchase, int(buyers_t.sum()),
                    int(buyers_c.sum())),
    ]  # fmt: skip


def _comparison(
    label: str, population: str, metric: str, estimate: Estimate, n_t: int, n_c: int
) -> Comparison:
    total = estimate.scaled(n_t)
    return Comparison(
        label=label, population=population, metric=metric, treated=n_t, baseline=n_c,
        difference=estimate.value, low=estimate.low, high=estimate.high,
        p_value=estimate.p_value, incremental_total=total.value,
        incremental_low=total.low, incremental_high=total.high,
    )  # fmt: skip
