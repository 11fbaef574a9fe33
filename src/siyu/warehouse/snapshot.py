"""Keep a Parquet snapshot of a workspace's facts, rewriting only what changed.

Layout under the snapshot root: one folder per table; bucketed tables (orders and their
lines and refunds by order id, contacts by contact id) hold one file per id bucket;
channel costs and customers are small and rewritten whole. A manifest records the
watermark and each bucket's row count: the next run rewrites the buckets holding rows
updated after the watermark or whose count changed (a deleted row updates nothing). Files are
replaced atomically and the manifest is written last, so a crash at any point leaves a
snapshot that the next run completes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine

from siyu.db.arrow import ArrowReader, open_reader
from siyu.db.child import in_child_process
from siyu.kit.clock import utcnow
from siyu.models import Contact, Order
from siyu.warehouse import repository
from siyu.warehouse.schemas import BUCKETED, SCHEMAS

BUCKET_IDS = 100_000
# Rows committed by a transaction that started before this run can carry an updated_at up
# to this much older than the run: re-export that margin so no change is missed.
WATERMARK_MARGIN = timedelta(minutes=10)
MANIFEST = "manifest.json"

Progress = Callable[[str, int, int], None]


@dataclass
class SnapshotReport:
    """What one refresh rewrote."""

    root: Path
    full: bool
    buckets: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _write(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically (temp file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".parquet.tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)


def _bucket_path(root: Path, name: str, bucket: int) -> Path:
    return root / name / f"bucket-{bucket:06d}.parquet"


def read_manifest(root: Path) -> dict[str, Any]:
    """Return the manifest, or an empty one before the first run."""
    path = root / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    temporary = root / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(temporary, root / MANIFEST)


def _changed(
    states: dict[int, tuple[int, datetime]], since: datetime | None, before: dict[str, int]
) -> set[int]:
    """Buckets updated after the watermark or whose row count changed (all the first time)."""
    if since is None:
        return set(states)
    updated = {b for b, (_, last) in states.items() if last > since}
    recounted = {
        b
        for b in states.keys() | {int(k) for k in before}
        if states.get(b, (0, since))[0] != before.get(str(b), 0)
    }
    return updated | recounted


class SnapshotWriter:
    """Refreshes the snapshot of one workspace from a read-only view of the committed store."""

    def __init__(self, engine: Engine, workspace_id: int, root: Path) -> None:
        self.engine = engine
        self.workspace_id = workspace_id
        self.root = root

    def refresh(self, progress: Progress | None = None) -> SnapshotReport:
        """Rewrite the buckets that changed since the last run (all of them the first time).

        The reading runs in a forked child process: the ADBC SQLite driver carries its own
        copy of SQLite, and two copies in one process share POSIX locks on the same file, so
        closing the reader let it reset the WAL index under the store's live connection (a
        bus error on 10M lines). A child process has locks of its own.
        """
        return in_child_process(lambda: self._refresh_with_reader(progress), name="snapshot")

    def _refresh_with_reader(self, progress: Progress | None) -> SnapshotReport:
        with open_reader(self.engine) as reader:
            return self._refresh(reader, progress)

    def _refresh(self, reader: ArrowReader, progress: Progress | None) -> SnapshotReport:
        started, clock = utcnow(), time.perf_counter()
        manifest = read_manifest(self.root)
        since = datetime.fromisoformat(manifest["watermark"]) if manifest else None
        report = SnapshotReport(self.root, full=since is None)
        states = {name: repository.bucket_states(reader, self.workspace_id, model, BUCKET_IDS)
                  for name, model in (("orders", Order), ("contacts", Contact))}  # fmt: skip
        before = manifest.get("counts", {})
        order_buckets = _changed(states["orders"], since, before.get("orders", {}))
        contact_buckets = _changed(states["contacts"], since, before.get("contacts", {}))
        fetchers = {
            "orders": (order_buckets, repository.orders_in),
            "order_lines": (order_buckets, repository.lines_in),
            "refunds": (order_buckets, repository.refunds_in),
            "contacts": (contact_buckets, repository.contacts_in),
        }
        steps = sum(len(b) for b, _ in fetchers.values()) + 2
        done = 0
        for name, (buckets, fetch) in fetchers.items():
            for bucket in sorted(buckets):
                rows = fetch(reader, self.workspace_id, bucket, BUCKET_IDS)
                self._write_bucket(name, bucket, rows, report)
                done += 1
                if progress is not None:
                    progress(name, done, steps)
            report.buckets[name] = len(buckets)
        for name, whole in (("channel_costs", repository.channel_costs),
                            ("customers", repository.customers)):  # fmt: skip
            rows = whole(reader, self.workspace_id)
            _write(self.root / name / "all.parquet", rows)
            report.rows[name] = rows.num_rows
            done += 1
            if progress is not None:
                progress(name, done, steps)
        self._ensure_every_table_readable()
        watermark = (started - WATERMARK_MARGIN).isoformat()
        counts = {name: {b: n for b, (n, _) in state.items()} for name, state in states.items()}
        _write_manifest(self.root, {"version": 2, "watermark": watermark, "counts": counts})
        report.seconds = time.perf_counter() - clock
        return report

    def _write_bucket(self, name: str, bucket: int, rows: pa.Table, report: SnapshotReport) -> None:
        path = _bucket_path(self.root, name, bucket)
        if rows.num_rows:
            _write(path, rows)
        else:
            path.unlink(missing_ok=True)  # every row of the bucket is gone
        report.rows[name] = report.rows.get(name, 0) + rows.num_rows

    def _ensure_every_table_readable(self) -> None:
        """A bucketed table with no rows yet gets an empty file, so readers see its schema."""
        for name in BUCKETED:
            folder = self.root / name
            if not any(folder.glob("bucket-*.parquet")):
                _write(folder / "empty.parquet", SCHEMAS[name].empty_table())
            elif (folder / "empty.parquet").exists():
                (folder / "empty.parquet").unlink()
