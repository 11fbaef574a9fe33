"""Data-subject requests end to end on a demo store: export, erasure that leaves no trace of
the person in any table, Parquet file or outbox row, and a daily run that still adds up."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from siyu.kit.crypto import PiiCipher, parse_keys
from siyu.privacy.repository import customer_columns
from siyu.privacy.rules import COVERAGE, Action
from tests.cli.test_cli import siyu


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo brand after its daily run and engagement (messages in the outbox)."""
    home = tmp_path_factory.mktemp("privacy-demo")
    for args in (("init",), ("demo", "load", "--orders", "2000", "--seed", "3"), ("run",),
                 ("engage", "daily")):  # fmt: skip
        done = siyu(home, *args)
        assert done.returncode == 0, done.stderr
    return home


@pytest.fixture
def home(demo_home: Path, tmp_path: Path) -> Iterator[Path]:
    copy = tmp_path / "home"
    shutil.copytree(demo_home, copy)
    yield copy


def _cipher(home: Path) -> PiiCipher:
    return PiiCipher(keys=parse_keys((home / "pii.key").read_text()))


def _query(home: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "siyu.db") as db:
        return db.execute(sql, args).fetchall()


def _busiest_customer(home: Path) -> int:
    """A customer with orders, messages, a group, loyalty and a referral."""
    rows = _query(home, """
        select c.id from customer c
        where exists (select 1 from orders o where o.customer_id = c.id)
          and exists (select 1 from outbox_message m where m.customer_id = c.id)
          and exists (select 1 from group_member g where g.customer_id = c.id)
          and exists (select 1 from loyalty_account a where a.customer_id = c.id)
          and exists (select 1 from referral r where r.referee_customer_id = c.id
                      or r.referrer_customer_id = c.id)
        order by c.id limit 1""")  # fmt: skip
    assert rows, "the demo brand should have a customer touching every package"
    return int(rows[0][0])


def _traces(home: Path, customer_id: int) -> tuple[set[str], set[str]]:
    """The person's identifier values in clear and every keyed hash standing for them."""
    cipher = _cipher(home)
    clear: set[str] = set()
    hashes: set[str] = set()
    for blob, index in _query(home, "select value_enc, blind_index from identity "
                              "where customer_id = ?", customer_id):  # fmt: skip
        clear.add(cipher.decrypt(blob))
        hashes.add(index)
    for (blob,) in _query(home, "select receiver_enc from orders where customer_id = ? and "
                          "receiver_enc is not null", customer_id):  # fmt: skip
        clear.update(p for p in json.loads(cipher.decrypt(blob)) if p and len(p) >= 4)
    for name, index in _query(home, "select name_enc, name_index from customer where id = ? "
                              "and name_enc is not null", customer_id):  # fmt: skip
        clear.add(cipher.decrypt(name))
        hashes.add(index)
    for (index,) in _query(home, "select member_index from group_member where customer_id = ?",
                           customer_id):  # fmt: skip
        hashes.add(index)
    for row in _query(home, "select phone_index, address_index, device_index from referral "
                      "where referee_customer_id = ?", customer_id):  # fmt: skip
        hashes.update(v for v in row if v)
    return clear, hashes


def _scan_tables(home: Path, needles: set[str]) -> list[str]:
    """Every cell of every table (raw SQL), blobs decrypted, that holds any needle."""
    cipher = _cipher(home)
    found = []
    tables = [r[0] for r in _query(home, "select name from sqlite_master where type='table'")]
    for table in tables:
        with sqlite3.connect(home / "siyu.db") as db:
            cursor = db.execute(f'select * from "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for name, value in zip(names, row, strict=True):
                    text = value
                    if isinstance(value, bytes):
                        text = cipher.decrypt(value) if value[:1] == b"\x01" else value.hex()
                    if isinstance(text, str) and any(n in text for n in needles):
                        found.append(f"{table}.{name}")
    return found


def _parquet_cells(home: Path) -> Iterator[tuple[str, str, Any]]:
    for path in sorted((home / "warehouse").rglob("*.parquet")):
        table = pq.read_table(path)
        for column in table.column_names:
            for value in table.column(column).to_pylist():
                yield str(path.relative_to(home)), column, value


def _totals(home: Path) -> tuple[int, int, int]:
    orders, paid = _query(home, "select count(*), sum(paid_fen) from orders")[0]
    points = _query(home, "select coalesce(sum(balance), 0) from loyalty_account")[0][0]
    return int(orders), int(paid), int(points)


def test_every_table_naming_a_customer_is_covered_by_erasure() -> None:
    """A new table with a customer reference fails here until erasure and export know it."""
    assert set(customer_columns()) == set(COVERAGE)


def test_export_holds_everything_on_the_person_in_clear(home: Path) -> None:
    customer = _busiest_customer(home)
    clear, hashes = _traces(home, customer)
    out = home / "subject.json"
    done = siyu(home, "privacy", "export", str(customer), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert (out.stat().st_mode & 0o777) == 0o600
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["customer"]["id"] == customer
    assert clear <= {i["value"] for i in data["identities"]} | {data["customer"]["name"]} | {
        p for o in data["tables"]["orders"] for p in (o["receiver"] or [])}  # fmt: skip
    for table in ("orders", "order_line", "contact", "consent_record", "group_member",
                  "outbox_message", "loyalty_account", "referral", "customer_profile"):  # fmt: skip
        assert data["tables"].get(table), table
    assert data["loyalty_statement"]["lines"]
    assert not any(h in out.read_text(encoding="utf-8") for h in hashes)  # no keyed hashes
    unknown = siyu(home, "privacy", "export", "999999", locale="zh-CN")
    assert unknown.returncode == 2 and "999999" in unknown.stderr and "客户" in unknown.stderr


def test_erasure_leaves_no_trace_and_the_daily_run_still_adds_up(home: Path) -> None:
    customer = _busiest_customer(home)
    clear, hashes = _traces(home, customer)
    assert clear and hashes and _scan_tables(home, clear | hashes)
    before = _totals(home)
    refused = siyu(home, "privacy", "erase", str(customer))
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert _query(home, "select count(*) from customer where id = ?", customer)[0][0] == 1

    erased = siyu(home, "privacy", "erase", str(customer), "--yes")
    assert erased.returncode == 0, erased.stderr
    assert f"Customer {customer} was erased" in erased.stdout

    assert _scan_tables(home, clear | hashes) == []
    for table, column in customer_columns():
        if COVERAGE[(table, column)].action is not Action.JOURNAL:
            held = _query(home, f'select count(*) from "{table}" where "{column}" = ?', customer)
            assert held[0][0] == 0, (table, column)
    outbox = _query(home, "select target, payload from outbox_message where customer_id is "
                    "not null and customer_id not in (select id from customer)")  # fmt: skip
    assert outbox == []
    for path, column, value in _parquet_cells(home):
        assert not (column.endswith("customer_id") and value == customer), (path, column)
        assert not (isinstance(value, str) and value in clear | hashes), (path, column)
    assert _totals(home) == before  # orders and ledgers stay, under the anonymous id

    ran = siyu(home, "run")
    assert ran.returncode == 0, ran.stderr
    paid_in_snapshot = sum(v for _, c, v in _parquet_cells(home)
                           if c == "paid_fen" and v is not None)  # fmt: skip
    assert paid_in_snapshot == before[1]
    report = siyu(home, "report", "daily")
    assert report.returncode == 0, report.stderr
    again = siyu(home, "privacy", "erase", str(customer), "--yes")
    assert again.returncode == 2 and "does not exist" in again.stderr
