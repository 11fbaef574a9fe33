"""The contact policy as pure, vectorised decisions: who may be contacted, when, and which
message wins a capped slot.

Every feature that contacts a customer (campaigns, playbooks, journeys, SOPs, daily tasks)
hands its candidate messages to ``decide``. Each candidate passes, in order:

1. consent and opt-out (an opt-out of one channel or of all channels wins at once),
   reachability (an address or an active contact on the channel) and the stage rule
   (churned customers: major promotions only);
2. quiet hours in the customer's time zone (a message due in them is moved to their end);
3. caps per local calendar day, ISO week and month: overall and for promotions (the lower of
   the overall and the stage's caps), and per channel; then staff capacity.

Caps are filled greedily by expected incremental value, not first come: candidates are taken
in rounds, each customer's most valuable candidate first, and contacts already reserved but
not yet due (``existing``) on a day a new candidate may take compete as candidates too, so a
more valuable message outbids a reserved one (the reserved one is then "outbid"); ties keep
the reservation. A candidate refused by a cap may move up to ``reschedule_days`` days later,
keeping its local time of day.

Counts are dense arrays (category x period x customer) over only the periods candidates can
fall in: a million customers are decided with a few vectorised passes.

Times are epoch seconds (float); days are whole days since 1970-01-01 in local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from siyu.consent import rules as consent_rules
from siyu.engage.policy.schemas import CHANNELS, STAGES, Caps, ContactPolicy

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DAY_S: Final = 86_400
NO_CAP: Final = np.iinfo(np.int32).max
WINDOWS: Final = ("day", "week", "month")

REASONS: Final = (
    "",
    "opted_out",
    "no_consent",
    "unreachable",
    "stage_rule",
    "cap_day",
    "cap_week",
    "cap_month",
    "promotion_cap_day",
    "promotion_cap_week",
    "promotion_cap_month",
    "channel_cap_day",
    "channel_cap_week",
    "channel_cap_month",
    "staff_capacity",
    "outbid",
)
"""Why a candidate was not admitted (code = index; 0 = admitted)."""
_R = {name: code for code, name in enumerate(REASONS)}
_CAP_REASONS: Final = np.array(
    [[_R[f"{kind}{w}"] for w in WINDOWS] for kind in ("cap_", "promotion_cap_", "channel_cap_")]
)
CHANNEL_REASONS: Final = frozenset({
    "unreachable", "no_consent", "opted_out", "channel_cap_day", "channel_cap_week",
    "channel_cap_month",
})  # fmt: skip
"""Refusals about the channel rather than the customer: another channel may still reach
them (an opt-out of every channel is refused on the next channel too)."""
_RETRYABLE: Final = frozenset(_R[r] for r in REASONS if "cap" in r) | {_R["staff_capacity"]}


def channel_code(name: str) -> int:
    """Index of a channel name in CHANNELS."""
    return CHANNELS.index(name)


def _cap(value: int | None) -> int:
    return NO_CAP if value is None else value


def _caps(caps: Caps) -> list[int]:
    return [_cap(caps.day), _cap(caps.week), _cap(caps.month)]


@dataclass(frozen=True)
class Limits:
    """A ContactPolicy compiled to arrays (stage and channel codes index them)."""

    stage_caps: IntArray  # (stages, 2: overall/promotion, 3: day/week/month)
    major_only: BoolArray  # (stages,)
    channel_caps: IntArray  # (channels, 3)
    consent_column: IntArray  # (channels,) column of the consent matrix that governs it
    require_opt_in: BoolArray  # (channels,)
    cost_fen: FloatArray  # (channels,)
    quiet_start_s: int
    quiet_end_s: int
    bump_lead_s: int

    @classmethod
    def compile(cls, policy: ContactPolicy) -> Limits:
        """Turn the configuration into the arrays ``decide`` reads."""
        overall, promo = _caps(policy.overall), _caps(policy.promotion)
        stage_caps = np.zeros((len(STAGES), 2, 3), dtype=np.int64)
        major_only = np.zeros(len(STAGES), dtype=np.bool_)
        for i, stage in enumerate(STAGES):
            rule = policy.stages.get(stage)
            own_overall = _caps(rule.overall) if rule else [NO_CAP] * 3
            own_promo = _caps(rule.promotion) if rule else [NO_CAP] * 3
            stage_caps[i, 0] = np.minimum(overall, own_overall)
            stage_caps[i, 1] = np.minimum(promo, own_promo)
            major_only[i] = bool(rule and rule.major_promotions_only)
        all_column = len(consent_rules.CHANNELS)
        channel_caps = np.full((len(CHANNELS), 3), NO_CAP, dtype=np.int64)
        consent_column = np.full(len(CHANNELS), all_column, dtype=np.int64)
        opt_in = np.zeros(len(CHANNELS), dtype=np.bool_)
        cost = np.zeros(len(CHANNELS), dtype=np.float64)
        for i, name in enumerate(CHANNELS):
            channel = policy.channels.get(name)
            if channel is None:
                continue
            channel_caps[i] = _caps(channel.caps)
            if channel.consent_channel in consent_rules.CHANNELS:
                consent_column[i] = consent_rules.CHANNELS.index(channel.consent_channel)
            opt_in[i] = channel.require_opt_in
            cost[i] = channel.cost_fen
        quiet = policy.quiet_hours
        return cls(
            stage_caps, major_only, channel_caps, consent_column, opt_in, cost,
            _seconds(quiet.start.hour, quiet.start.minute),
            _seconds(quiet.end.hour, quiet.end.minute), policy.bump_lead_minutes * 60,
        )  # fmt: skip


def _seconds(hour: int, minute: int) -> int:
    return hour * 3600 + minute * 60


@dataclass(frozen=True)
class Audience:
    """What the policy knows of each customer (position = index into these arrays)."""

    stage: IntArray  # codes into STAGES
    utc_offset_s: IntArray  # the customer's time zone offset
    consent: NDArray[np.int8]  # (customers, consent channels + ALL) from consent_states
    reachable: BoolArray  # (customers, CHANNELS)
    # consent of the request's purpose when it is not marketing (service messages): the new
    # rows answer to it alone, with no opt-in needed; reservations already made keep theirs
    purpose_consent: NDArray[np.int8] | None = None


@dataclass(frozen=True)
class Ledger:
    """Contacts already made or reserved that count against caps and cannot be outbid."""

    customer: IntArray
    channel: IntArray
    promotion: BoolArray
    local_day: IntArray
    staff: IntArray  # -1 when no staff account does the contact

    @classmethod
    def empty(cls) -> Ledger:
        """A ledger with nothing in it."""
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, np.zeros(0, dtype=np.bool_), none, none)


@dataclass(frozen=True)
class Candidates:
    """Messages asking for a slot (one row each). ``existing`` rows are reserved contacts not
    yet due: they keep their slot only if they still win it."""

    customer: IntArray
    channel: IntArray
    promotion: BoolArray
    major: BoolArray
    value: FloatArray
    send_at: FloatArray
    reschedule_days: IntArray
    staff: IntArray
    existing: BoolArray

    def __len__(self) -> int:
        return int(self.customer.size)

    @classmethod
    def build(
        cls,
        customer: IntArray,
        *,
        channel: IntArray | int,
        value: FloatArray | float,
        send_at: FloatArray | float,
        promotion: BoolArray | bool = False,
        major: BoolArray | bool = False,
        reschedule_days: IntArray | int = 0,
        staff: IntArray | int = -1,
        existing: BoolArray | bool = False,
    ) -> Candidates:
        """Candidates from arrays or values shared by every row."""
        n = customer.size

        def ints(value: object) -> IntArray:
            return np.broadcast_to(np.asarray(value, dtype=np.int64), (n,)).copy()

        def flags(value: object) -> BoolArray:
            return np.broadcast_to(np.asarray(value, dtype=np.bool_), (n,)).copy()

        def floats(value: object) -> FloatArray:
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()

        return cls(
            customer.astype(np.int64), ints(channel), flags(promotion), flags(major),
            floats(value), floats(send_at), ints(reschedule_days), ints(staff), flags(existing),
        )  # fmt: skip


@dataclass
class Decisions:
    """What happened to each candidate."""

    admitted: BoolArray
    reason: NDArray[np.int8]  # code into REASONS; the last refusal for a rescheduled one
    send_at: FloatArray
    local_day: IntArray
    moved_days: IntArray  # days a rescheduled candidate moved
    quiet_deferred: BoolArray

    def reasons(self) -> list[str]:
        """Reason names per candidate ("" when admitted without moving)."""
        return [REASONS[r] for r in self.reason.tolist()]


def expected_value(
    *,
    uplift: FloatArray | float,
    p_alive: FloatArray,
    order_value_fen: FloatArray,
    cost_fen: FloatArray | float,
    fallback_order_value_fen: float,
) -> FloatArray:
    """Expected incremental value of one message in fen: the lift in purchase probability it
    buys, times the customer's chance of being alive, times their expected order value,
    less the cost of sending. Unknown figures take neutral stand-ins (P(alive) 0.5, the
    brand's mean order value)."""
    alive = np.where(np.isnan(p_alive), 0.5, p_alive)
    order = np.where(np.isnan(order_value_fen), fallback_order_value_fen, order_value_fen)
    return np.asarray(uplift * alive * order - cost_fen, dtype=np.float64)


# ----------------------------------------------------------------------------- time


def quiet_adjusted(send_at: FloatArray, offset_s: IntArray, start_s: int, end_s: int) -> FloatArray:
    """Move times that fall in the quiet hours (local) to the end of them."""
    local = np.mod(send_at + offset_s, DAY_S)
    if start_s == end_s:
        return send_at
    if start_s > end_s:  # the quiet hours span midnight
        late, early = local >= start_s, local < end_s
        delay = np.where(late, DAY_S - local + end_s, np.where(early, end_s - local, 0.0))
    else:
        inside = (local >= start_s) & (local < end_s)
        delay = np.where(inside, end_s - local, 0.0)
    return np.asarray(send_at + delay, dtype=np.float64)


def local_days(send_at: FloatArray, offset_s: IntArray) -> IntArray:
    """Local calendar day numbers (days since 1970-01-01)."""
    return np.floor_divide(send_at + offset_s, DAY_S).astype(np.int64)


def periods(days: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Day, ISO week (Monday first) and calendar month numbers of local day numbers."""
    weeks = np.floor_divide(days + 3, 7)  # 1970-01-01 was a Thursday
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return days, weeks, months


# ----------------------------------------------------------------------------- counting


_SPAN: Final = 1 << 24  # staff keys: staff * _SPAN + day


class _Tally:
    """Contacts per (category, period, customer) in dense arrays, one per window, for the
    periods the candidates can fall in (others cannot matter). Categories: 0 overall,
    1 promotions, then one per channel among the candidates."""

    def __init__(self, size: int, days: IntArray, channels: IntArray) -> None:
        self.periods = [np.unique(p) for p in periods(days)]
        self.slot = np.full(len(CHANNELS), -1, dtype=np.int64)
        present = np.unique(channels)
        self.slot[present] = 2 + np.arange(present.size)
        width = 2 + present.size
        self.counts = [np.zeros((width, p.size, size), dtype=np.int16) for p in self.periods]

    def _where(self, w: int, period: IntArray) -> tuple[IntArray, BoolArray]:
        known = self.periods[w]
        if known.size == 0:
            return np.zeros(period.size, dtype=np.int64), np.zeros(period.size, dtype=np.bool_)
        at = np.minimum(np.searchsorted(known, period), known.size - 1)
        return at, known[at] == period

    def add(self, customer: IntArray, channel: IntArray, promo: BoolArray, day: IntArray) -> None:
        """Count contacts (those outside the tallied periods are ignored)."""
        for w, period in enumerate(periods(day)):
            at, ok = self._where(w, period)
            c, p, pro = customer[ok], at[ok], promo[ok]
            counts = self.counts[w]
            np.add.at(counts[0], (p, c), 1)
            np.add.at(counts[1], (p[pro], c[pro]), 1)
            slot = self.slot[channel[ok]]
            mine = slot >= 0
            np.add.at(counts, (slot[mine], p[mine], c[mine]), 1)

    def get(
        self, w: int, category: IntArray | int, period: IntArray, customer: IntArray
    ) -> IntArray:
        """Contacts counted so far in each (category, period, customer)."""
        at, ok = self._where(w, period)
        found = self.counts[w][category, at, customer].astype(np.int64)
        return np.where(ok, found, 0)


class _Counts:
    """Counts by integer key (staff account and day), as sorted unique keys."""

    def __init__(self, keys: IntArray) -> None:
        self.keys, self.counts = np.unique(keys, return_counts=True)

    def get(self, keys: IntArray) -> IntArray:
        if self.keys.size == 0:
            return np.zeros(keys.size, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        return np.where(self.keys[at] == keys, self.counts[at], 0).astype(np.int64)

    def add(self, keys: IntArray) -> None:
        if keys.size:
            merged = np.concatenate([np.repeat(self.keys, self.counts), keys])
            self.keys, self.counts = np.unique(merged, return_counts=True)


@dataclass
class _State:
    tally: _Tally
    staff_counts: _Counts
    staff_capacity: IntArray


def _staff_keys(staff: IntArray, day: IntArray) -> IntArray:
    return staff * _SPAN + day


# ----------------------------------------------------------------------------- decide


def _eligibility(cands: Candidates, audience: Audience, limits: Limits) -> NDArray[np.int8]:
    reason = np.zeros(len(cands), dtype=np.int8)
    column = limits.consent_column[cands.channel]
    # A channel's column already holds a later opt-out of everything; channels no consent
    # channel governs read the opt-out of everything itself.
    state = audience.consent[cands.customer, column]
    withdrawn = state == consent_rules.WITHDRAWN
    no_opt_in = limits.require_opt_in[cands.channel] & (state != consent_rules.GRANTED)
    if audience.purpose_consent is not None:
        own = ~cands.existing
        withdrawn = np.where(
            own, audience.purpose_consent[cands.customer, column] == consent_rules.WITHDRAWN,
            withdrawn,
        )  # fmt: skip
        no_opt_in &= ~own
    unreachable = ~audience.reachable[cands.customer, cands.channel]
    stage_rule = limits.major_only[audience.stage[cands.customer]] & ~(
        cands.promotion & cands.major
    )
    for mask, name in ((stage_rule, "stage_rule"), (unreachable, "unreachable"),
                       (no_opt_in, "no_consent"), (withdrawn, "opted_out")):  # fmt: skip
        reason[mask] = _R[name]  # later lines win: an opt-out is the reason that matters most
    return reason


def _ranks(group: IntArray, value: FloatArray, prefer: BoolArray | None = None) -> IntArray:
    """Rank of each row within its group, most valuable first; ties go to `prefer`red rows
    (reservations already made keep their slot against an equal newcomer), then to the
    earlier row."""
    n = group.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if group.min() >= 0 and group.max() < 4 * n + 1024 and np.bincount(group).max() <= 1:
        return np.zeros(n, dtype=np.int64)  # one row per group: every rank is 0
    first = ~prefer if prefer is not None else np.zeros(n, dtype=np.bool_)
    order = np.lexsort((np.arange(n), first, -value, group))
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(sorted_group[1:] != sorted_group[:-1]) + 1]
    run = np.repeat(starts, np.diff(np.r_[starts, n]))
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = np.arange(n) - run
    return ranks


def _try(
    rows: IntArray,
    send_at: FloatArray,
    cands: Candidates,
    audience: Audience,
    limits: Limits,
    state: _State,
) -> tuple[BoolArray, NDArray[np.int8], IntArray]:
    """Check caps for `rows` (at most one per customer) at `send_at`; admit and count those
    that fit. Returns (admitted, refusal reason, local day)."""
    customer = cands.customer[rows]
    day = local_days(send_at, audience.utc_offset_s[customer])
    stage = audience.stage[customer]
    channel = cands.channel[rows]
    promo = cands.promotion[rows]
    reason = np.zeros(rows.size, dtype=np.int8)
    tally = state.tally
    slot = tally.slot[channel]
    for w, period in enumerate(periods(day)):
        checks = (
            (0, limits.stage_caps[stage, 0, w], None, 0),
            (1, limits.stage_caps[stage, 1, w], promo, 1),
            (slot, limits.channel_caps[channel, w], None, 2),
        )
        for category, cap, applies, kind in checks:
            over = (tally.get(w, category, period, customer) + 1 > cap) & (reason == 0)
            if applies is not None:
                over &= applies
            reason[over] = _CAP_REASONS[kind, w]
    ok = reason == 0
    staff = cands.staff[rows]
    needs = ok & (staff >= 0)
    if needs.any():
        skey = _staff_keys(staff[needs], day[needs])
        rank = _ranks(skey, cands.value[rows][needs])
        room = state.staff_counts.get(skey) + rank < state.staff_capacity[staff[needs]]
        reason[np.flatnonzero(needs)[~room]] = _R["staff_capacity"]
        ok = reason == 0
        working = ok & (staff >= 0)
        state.staff_counts.add(_staff_keys(staff[working], day[working]))
    tally.add(customer[ok], channel[ok], promo[ok], day[ok])
    return ok, reason, day


def possible_days(cands: Candidates, audience: Audience, limits: Limits) -> IntArray:
    """Every local day a candidate may end up on (each reschedule offset included)."""
    offsets = audience.utc_offset_s[cands.customer]
    days = []
    for offset in range(int(cands.reschedule_days.max(initial=0)) + 1):
        movable = cands.reschedule_days >= offset
        at = quiet_adjusted(cands.send_at[movable] + offset * DAY_S, offsets[movable],
                            limits.quiet_start_s, limits.quiet_end_s)  # fmt: skip
        days.append(np.unique(local_days(at, offsets[movable])))
    return np.unique(np.concatenate(days)) if days else np.zeros(0, dtype=np.int64)


def decide(
    cands: Candidates,
    audience: Audience,
    limits: Limits,
    *,
    ledger: Ledger | None = None,
    staff_capacity: IntArray | None = None,
    staff_used: Ledger | None = None,
) -> Decisions:
    """Decide every candidate: admitted or not, why, when and on which local day.

    ``ledger`` holds contacts that count but cannot be outbid; ``staff_capacity[s]`` is staff
    account s's contacts per day, ``staff_used`` its contacts already planned.
    """
    ledger = ledger or Ledger.empty()
    n = len(cands)
    reason = _eligibility(cands, audience, limits)
    send_at = quiet_adjusted(cands.send_at, audience.utc_offset_s[cands.customer],
                             limits.quiet_start_s, limits.quiet_end_s)  # fmt: skip
    quiet = send_at != cands.send_at
    used = staff_used or Ledger.empty()
    tally = _Tally(audience.stage.size, possible_days(cands, audience, limits), cands.channel)
    tally.add(ledger.customer, ledger.channel, ledger.promotion, ledger.local_day)
    state = _State(
        tally,
        _Counts(_staff_keys(used.staff[used.staff >= 0], used.local_day[used.staff >= 0])),
        staff_capacity if staff_capacity is not None else np.zeros(0, dtype=np.int64),
    )
    admitted = np.zeros(n, dtype=np.bool_)
    day = local_days(send_at, audience.utc_offset_s[cands.customer])
    moved = np.zeros(n, dtype=np.int64)
    open_rows = np.flatnonzero(reason == 0)
    for offset in range(int(cands.reschedule_days.max(initial=0)) + 1):
        if offset:
            open_rows = open_rows[np.isin(reason[open_rows], list(_RETRYABLE))]
            open_rows = open_rows[cands.reschedule_days[open_rows] >= offset]
            if open_rows.size == 0:
                break
        at = quiet_adjusted(cands.send_at[open_rows] + offset * DAY_S,
                            audience.utc_offset_s[cands.customer[open_rows]],
                            limits.quiet_start_s, limits.quiet_end_s)  # fmt: skip
        rank = _ranks(cands.customer[open_rows], cands.value[open_rows],
                      cands.existing[open_rows])  # fmt: skip
        for r in range(int(rank.max(initial=-1)) + 1):
            pick = rank == r
            rows = open_rows[pick]
            ok, why, got_day = _try(rows, at[pick], cands, audience, limits, state)
            admitted[rows[ok]] = True
            send_at[rows[ok]] = at[pick][ok]
            day[rows[ok]] = got_day[ok]
            moved[rows[ok]] = offset
            reason[rows] = np.where(ok, np.where(offset > 0, reason[rows], 0), why)
        open_rows = open_rows[~admitted[open_rows]]
    outbid = cands.existing & ~admitted & np.isin(reason, list(_RETRYABLE))
    reason[outbid] = _R["outbid"]
    return Decisions(admitted, reason, send_at, day, moved, quiet & admitted)


def reason_codes(names: Sequence[str]) -> NDArray[np.int8]:
    """Codes of reason names."""
    return np.asarray([_R[n] for n in names], dtype=np.int8)
