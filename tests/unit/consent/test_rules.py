"""Consent states: the latest record wins; an opt-out of all channels withdraws each one."""

from __future__ import annotations

import numpy as np

from siyu.consent.rules import (
    ALL,
    CHANNELS,
    GRANTED,
    UNKNOWN,
    WITHDRAWN,
    allowed,
    consent_states,
    states_of,
)

SMS, EMAIL, EVERY = CHANNELS.index("sms"), CHANNELS.index("email"), len(CHANNELS)


def test_latest_record_and_opt_out_of_everything() -> None:
    rows = [  # (customer, channel, granted, time)
        (0, SMS, True, 10.0),
        (1, SMS, True, 10.0), (1, EVERY, False, 20.0),
        (2, EVERY, False, 5.0), (2, SMS, True, 30.0),
        (3, EMAIL, False, 1.0),
    ]  # fmt: skip
    p, c, g, t = (np.array(col) for col in zip(*rows, strict=True))
    states = consent_states(p.astype(np.int64), c.astype(np.int64), g.astype(bool),
                            t.astype(float), 5)  # fmt: skip
    assert states[0, SMS] == GRANTED and states[0, EVERY] == UNKNOWN
    assert states[1, SMS] == WITHDRAWN and states[1, EMAIL] == WITHDRAWN
    assert states[2, SMS] == GRANTED and states[2, EMAIL] == WITHDRAWN
    assert states[2, EVERY] == WITHDRAWN  # the opt-out of everything itself still stands
    assert states[3, EMAIL] == WITHDRAWN and states[4].tolist() == [UNKNOWN] * (EVERY + 1)
    assert ALL == "all"
    assert allowed(states[:, SMS], require_opt_in=True).tolist() == [1, 0, 1, 0, 0]
    assert allowed(states[:, SMS], require_opt_in=False).tolist() == [1, 0, 1, 1, 1]


def test_the_latest_of_many_records_wins_and_ids_break_ties() -> None:
    rows = [(0, SMS, True, 5.0, 1), (0, SMS, False, 9.0, 2), (0, SMS, True, 9.0, 3),
            (1, SMS, True, 9.0, 5), (1, SMS, False, 9.0, 4), (1, SMS, True, 1.0, 6)]  # fmt: skip
    p, c, g, t, i = (np.array(col) for col in zip(*rows, strict=True))
    states = consent_states(p.astype(np.int64), c.astype(np.int64), g.astype(bool),
                            t.astype(float), 2, i.astype(np.int64))  # fmt: skip
    assert states[:, SMS].tolist() == [GRANTED, GRANTED]
    records = [[10, 10, 30], ["sms", "all", "sms"], [1, 0, 1], [1.0, 2.0, 3.0], [1, 2, 3]]
    matrix = states_of(records, np.array([10, 20, 30], dtype=np.int64))
    assert matrix[:, SMS].tolist() == [WITHDRAWN, UNKNOWN, GRANTED]
