"""Consent and opt-out: the latest record of a channel wins, and an opt-out of every channel
("all") withdraws each one until a later grant on that channel. Pure NumPy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from siyu.models.enums import ConsentChannel

ALL: Final = "all"
"""The channel of a record that applies to every channel (a full opt-out)."""
CHANNELS: Final = tuple(c.value for c in ConsentChannel)
UNKNOWN: Final = 0
GRANTED: Final = 1
WITHDRAWN: Final = 2
STATES: Final = ("unknown", "granted", "withdrawn")


def latest(
    positions: NDArray[np.int64],
    channels: NDArray[np.int64],
    times: NDArray[np.float64],
    order: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Indexes of the latest record of each (customer, channel): by time, then by `order`
    (the record id: of two records at the same time the later written wins)."""
    if positions.size == 0:
        return np.zeros(0, dtype=np.int64)
    ranked = np.lexsort((order, times, channels, positions))
    key = positions[ranked] * (len(CHANNELS) + 1) + channels[ranked]
    last = np.r_[key[1:] != key[:-1], True]
    return ranked[last]


def consent_states(
    positions: NDArray[np.int64],
    channels: NDArray[np.int64],
    granted: NDArray[np.bool_],
    times: NDArray[np.float64],
    size: int,
    order: NDArray[np.int64] | None = None,
) -> NDArray[np.int8]:
    """Return a (customers x CHANNELS + 1) matrix of states from consent records;
    ``channels`` are indexes into CHANNELS, or len(CHANNELS) for ALL.

    A channel's state is its own latest record unless a later ALL record overrides it; the
    last column is the ALL record's own state (for channels no consent channel governs).
    """
    pick = latest(positions, channels, times,
                  order if order is not None else np.arange(positions.size))  # fmt: skip
    positions, channels, granted, times = (
        positions[pick],
        channels[pick],
        granted[pick],
        times[pick],
    )
    width = len(CHANNELS)
    state = np.zeros((size, width + 1), dtype=np.int8)
    when = np.full((size, width + 1), -np.inf)
    own = channels < width
    p, c = positions[own], channels[own]
    state[p, c] = np.where(granted[own], GRANTED, WITHDRAWN)
    when[p, c] = times[own]
    every = ~own  # one latest ALL record per customer
    p_all = positions[every]
    later = times[every][:, None] >= when[p_all]
    later[:, width] = True
    code = np.where(granted[every], GRANTED, WITHDRAWN).astype(np.int8)[:, None]
    state[p_all] = np.where(later, code, state[p_all])
    return state


def allowed(state: NDArray[np.int8], *, require_opt_in: bool) -> NDArray[np.bool_]:
    """Who may receive marketing on a channel: granted, or (without an opt-in rule) not
    withdrawn."""
    if require_opt_in:
        return np.asarray(state == GRANTED, dtype=np.bool_)
    return np.asarray(state != WITHDRAWN, dtype=np.bool_)


def states_of(
    records: Sequence[Sequence[Any] | NDArray[Any]], customer_ids: NDArray[np.int64]
) -> NDArray[np.int8]:
    """Consent matrix (see ``consent_states``) of the given customers (ascending ids) from
    record columns (customer, channel, granted, epoch seconds, record id); records of other
    customers and unknown channels are ignored."""
    who, channel, granted, times, ids = records
    index = {c: i for i, c in enumerate(CHANNELS)} | {ALL: len(CHANNELS)}
    codes = np.asarray([index.get(c, -1) for c in list(channel)], dtype=np.int64)
    people = np.asarray(who, dtype=np.int64)
    at = np.minimum(np.searchsorted(customer_ids, people), max(customer_ids.size - 1, 0))
    ok = (codes >= 0) & (customer_ids[at] == people if customer_ids.size else False)
    return consent_states(
        at[ok], codes[ok], np.asarray(granted, dtype=np.bool_)[ok],
        np.asarray(times, dtype=np.float64)[ok], customer_ids.size,
        np.asarray(ids, dtype=np.int64)[ok],
    )  # fmt: skip
