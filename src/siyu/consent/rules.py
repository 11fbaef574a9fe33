"""Consent and opt-out: the latest record of a channel wins, and an opt-out of every channel
("all") withdraws each one until a later grant on that channel. Pure NumPy."""

from __future__ import annotations

from datetime import datetime
from typing import Final

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


def consent_states(
    positions: NDArray[np.int64],
    channels: NDArray[np.int64],
    granted: NDArray[np.bool_],
    times: NDArray[np.float64],
    size: int,
) -> NDArray[np.int8]:
    """Return a (customers x CHANNELS + 1) matrix of states from each (customer, channel)'s
    latest record; ``channels`` are indexes into CHANNELS, or len(CHANNELS) for ALL.

    A channel's state is its own latest record unless a later ALL record overrides it; the
    last column is the ALL record's own state (for channels no consent channel governs).
    """
    width = len(CHANNELS)
    state = np.zeros((size, width + 1), dtype=np.int8)
    when = np.full((size, width + 1), -np.inf)
    own = channels < width
    p, c = positions[own], channels[own]
    state[p, c] = np.where(granted[own], GRANTED, WITHDRAWN)
    when[p, c] = times[own]
    every = ~own  # at most one latest ALL record per customer
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
    records: list[tuple[int, str, bool, datetime]], customer_ids: NDArray[np.int64]
) -> NDArray[np.int8]:
    """Consent matrix (see ``consent_states``) of the given customers (ascending ids) from
    latest records (customer, channel, granted, recorded_at); other customers are ignored."""
    index = {c: i for i, c in enumerate(CHANNELS)} | {ALL: len(CHANNELS)}
    kept = [r for r in records if r[1] in index]
    who = np.asarray([r[0] for r in kept], dtype=np.int64)
    at = np.searchsorted(customer_ids, who)
    at = np.minimum(at, max(customer_ids.size - 1, 0))
    ok = (customer_ids[at] == who) if customer_ids.size else np.zeros(who.size, dtype=np.bool_)
    channels = np.asarray([index[r[1]] for r in kept], dtype=np.int64)
    granted = np.asarray([r[2] for r in kept], dtype=np.bool_)
    times = np.asarray([r[3].timestamp() for r in kept], dtype=np.float64)
    return consent_states(at[ok], channels[ok], granted[ok], times[ok], customer_ids.size)
