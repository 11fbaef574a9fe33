"""The Arrow reader returns typed columns whatever SQLite's first rows hold."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select

from siyu.db.arrow import open_reader
from siyu.db.base import UtcDateTime
from siyu.db.engine import make_engine


def test_columns_null_for_many_rows_then_filled_keep_their_types(tmp_path: Path) -> None:
    """5,000 rows of NULLs before the first value: the driver's type inference sees only
    NULLs in its first batch, and the reader still returns strings and times."""
    engine = make_engine(f"sqlite:///{tmp_path / 'nulls.db'}")
    table = Table("sparse", MetaData(), Column("id", BigInteger, primary_key=True),
                  Column("city", String), Column("left_at", UtcDateTime()),
                  Column("channel_id", BigInteger))  # fmt: skip
    moment = datetime(2026, 3, 4, 5, 6, 7, 890_000, tzinfo=UTC)
    rows = [{"id": i, "city": None, "left_at": None, "channel_id": None} for i in range(5_000)]
    rows += [{"id": 5_000, "city": "杭州", "left_at": moment, "channel_id": 7},
             {"id": 5_001, "city": "", "left_at": None, "channel_id": None}]  # fmt: skip
    with engine.begin() as connection:
        table.create(connection)
        connection.execute(insert(table), rows)
    utc = pa.timestamp("us", tz="UTC")
    schema = pa.schema([("id", pa.int64()), ("city", pa.string()), ("left_at", utc),
                        ("channel_id", pa.int64())])  # fmt: skip
    try:
        with open_reader(engine) as reader:
            read = reader.read(select(table).order_by(table.c.id), schema)
    finally:
        engine.dispose()
    assert read.schema == schema and read.num_rows == 5_002
    assert read.slice(4_999).to_pylist() == [
        {"id": 4_999, "city": None, "left_at": None, "channel_id": None},
        {"id": 5_000, "city": "杭州", "left_at": moment, "channel_id": 7},
        {"id": 5_001, "city": None, "left_at": None, "channel_id": None},  # '' reads as NULL
    ]
