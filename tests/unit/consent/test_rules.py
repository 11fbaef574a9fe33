"""Consent states: the latest record wins; an opt-out of all channels withdraws each one."""

from __future__ import annotations

import numpy as np

from siyu.consent.rules import ALL, CHANNELS, GRANTED, UNKNOWN, WITHDRAWN, allowed, consent_states

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
