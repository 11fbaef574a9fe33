"""Next-best products per customer: snapshot → histories → models → published top N.

Publishing replaces the workspace's recommendations in the caller's transaction (the caller
commits), so readers see the previous list or the new one, never half of each.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from ibis.expr.types import Table
from sqlalchemy.orm import Session

from siyu.analytics.recommend import (
    DEFAULT_RECOMMEND,
    REASONS,
    NextBestProducts,
    RecommendSettings,
    history_matrix,
    load_histories,
    load_roles,
)
from siyu.customers import repository as customers
from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFoundError, SiyuError
from siyu.recommend import repository
from siyu.recommend.repository import RecommendedProduct
from siyu.warehouse.engine import EngineName, connect, tables
from siyu.warehouse.snapshot import SnapshotWriter

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
STEPS = ("snapshot", "histories", "fit", "recommend", "publish")


@dataclass
class RecommendReport:
    """Timings and counts of one recommendation run."""

    as_of: datetime
    seconds: dict[str, float] = field(default_factory=dict)
    customers: int = 0
    products: int = 0
    rows: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


@contextmanager
def _timed(report: RecommendReport, step: str, progress: Progress | None) -> Iterator[None]:
    if progress is not None:
        progress(step)
    started = time.perf_counter()
    yield
    report.seconds[step] = time.perf_counter() - started
    log.info("recommend step %s done in %.2f s", step, report.seconds[step])


def recommendation_columns(model: NextBestProducts) -> dict[str, list[Any]]:
    """The published table's columns for every customer the model was fitted on."""
    history = model.history_
    parts: dict[str, list[Any]] = {k: [] for k in ("customer_id", "rank", "product_id", "score")}
    reason_codes: list[Any] = []
    for batch in model.recommend():
        valid = batch.product >= 0
        rows, slots = np.nonzero(valid)
        parts["customer_id"].extend(history.customer_ids[batch.rows[rows]].tolist())
        parts["rank"].extend((slots + 1).tolist())
        parts["product_id"].extend(history.product_ids[batch.product[valid]].tolist())
        parts["score"].extend(batch.score[valid].astype(np.float64).tolist())
        reason_codes.extend(batch.reason[valid].tolist())
    parts["reason"] = np.asarray(REASONS, dtype=object)[np.asarray(reason_codes, int)].tolist()
    return parts


def recommend_from_snapshot(
    session: Session,
    workspace_id: int,
    t: dict[str, Table],
    *,
    as_of: datetime,
    settings: RecommendSettings = DEFAULT_RECOMMEND,
    report: RecommendReport | None = None,
    progress: Progress | None = None,
) -> RecommendReport:
    """Fit on the snapshot's purchases up to `as_of` and publish every buyer's top products."""
    report = report or RecommendReport(as_of=as_of)
    with _timed(report, "histories", progress):
        histories = load_histories(t, as_of)
        roles = load_roles(t)
        # a product deleted since the snapshot cannot be recommended (nor referenced)
        known = np.intersect1d(np.unique(histories.product_id), repository.product_ids(
            session, workspace_id))  # fmt: skip
        matrix = history_matrix(histories, roles, product_ids=known)
    with _timed(report, "fit", progress):
        model = NextBestProducts(settings).fit(matrix)
    with _timed(report, "recommend", progress):
        columns = recommendation_columns(model)
    with _timed(report, "publish", progress):
        repository.replace_recommendations(session, workspace_id, columns, utcnow())
    report.customers = int(np.unique(columns["customer_id"]).size)
    report.products = matrix.shape[1]
    report.rows = len(columns["customer_id"])
    found = dict(zip(*np.unique(np.asarray(columns["reason"], dtype=str), return_counts=True),
                     strict=True))  # fmt: skip
    report.reasons = {reason: int(found.get(reason, 0)) for reason in REASONS}
    return report


def recommend_all(
    session: Session,
    workspace_id: int,
    *,
    root: Path,
    as_of: datetime | None = None,
    engine: EngineName = "duckdb",
    top: int = DEFAULT_RECOMMEND.top,
    settings: RecommendSettings = DEFAULT_RECOMMEND,
    progress: Progress | None = None,
) -> RecommendReport:
    """Refresh the snapshot, then fit and publish every buyer's top products.

    The snapshot reads the store's committed state through its own connection.
    """
    moment = (as_of or utcnow()).astimezone(UTC)
    report = RecommendReport(as_of=moment)
    with _timed(report, "snapshot", progress):
        SnapshotWriter(session.get_bind().engine, workspace_id, root).refresh()
    return recommend_from_snapshot(
        session, workspace_id, tables(connect(engine), root), as_of=moment,
        settings=dataclasses.replace(settings, top=top), report=report, progress=progress,
    )  # fmt: skip


def customer_recommendations(
    session: Session, workspace_id: int, customer_id: int, top: int
) -> list[RecommendedProduct]:
    """A customer's published next-best products; a clear error when there are none."""
    if customers.get_customer(session, workspace_id, customer_id) is None:
        raise NotFoundError("recommend.unknown_customer", customer=customer_id)
    found = repository.list_for_customer(session, workspace_id, customer_id, top)
    if not found:
        raise SiyuError("recommend.none", customer=customer_id)
    return found
