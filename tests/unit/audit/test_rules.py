"""The audit rules without a database: canonical hashing, the chain walk, detail checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from siyu.audit.rules import (
    GENESIS,
    EntryData,
    StoredEntry,
    canonical,
    check_details,
    entry_hash,
    verify_chain,
)

T0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def _chain(n: int) -> list[StoredEntry]:
    out, prev = [], GENESIS
    for i in range(1, n + 1):
        data = EntryData(i, T0 + timedelta(seconds=i), 1, "user:1", "data.export", "export",
                         "customers", {"format": "csv", "rows": i})  # fmt: skip
        digest = entry_hash(prev, data)
        out.append(StoredEntry(data, prev, digest))
        prev = digest
    return out


def test_canonical_encoding_is_stable_and_order_free() -> None:
    a = EntryData(1, T0, None, "system", "auth.login", "user", "3", {"b": 1, "a": "x"})
    b = replace(a, details={"a": "x", "b": 1})
    assert canonical(a) == canonical(b)
    assert b'"at":"2026-11-24T06:00:00.000000Z"' in canonical(a)
    assert entry_hash(GENESIS, a) != entry_hash("1" * 64, a)


def test_an_intact_chain_verifies() -> None:
    chain = _chain(5)
    verdict = verify_chain(chain, head_id=5, head_hash=chain[-1].hash)
    assert verdict.ok and verdict.checked == 5 and verdict.last_id == 5


def test_a_changed_entry_is_named() -> None:
    chain = _chain(5)
    chain[2] = replace(chain[2], data=replace(chain[2].data, actor="user:9"))
    verdict = verify_chain(chain, head_id=5, head_hash=chain[-1].hash)
    assert (verdict.broken_id, verdict.reason) == (3, "audit.broken_hash")


def test_a_deleted_entry_is_a_gap() -> None:
    chain = _chain(5)
    del chain[1]
    verdict = verify_chain(chain, head_id=5, head_hash=chain[-1].hash)
    assert (verdict.broken_id, verdict.reason) == (2, "audit.gap")


def test_swapped_contents_break_the_link() -> None:
    chain = _chain(4)
    a, b = chain[1], chain[2]
    chain[1] = StoredEntry(replace(b.data, id=2), b.prev_hash, b.hash)
    chain[2] = StoredEntry(replace(a.data, id=3), a.prev_hash, a.hash)
    verdict = verify_chain(chain, head_id=4, head_hash=chain[-1].hash)
    assert not verdict.ok and verdict.broken_id == 2


def test_a_cut_tail_disagrees_with_the_head() -> None:
    chain = _chain(5)
    verdict = verify_chain(chain[:3], head_id=5, head_hash=chain[-1].hash)
    assert (verdict.broken_id, verdict.reason) == (4, "audit.truncated")


@pytest.mark.parametrize(
    "value", ["13812345678", "li.wei@example.cn", "11010519491231002X", "x" * 201, b"bytes"]
)
def test_personal_data_and_odd_values_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        check_details({"note": value})
    with pytest.raises(ValueError):
        check_details({"nested": {"list": [1, value]}})


def test_ids_codes_and_masked_values_pass() -> None:
    details = {"customer": 12, "masked": "138****5678", "ok": True, "codes": ["wx_li"]}
    assert check_details(details) == details
