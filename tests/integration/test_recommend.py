"""Next-best products published from the snapshot on both databases; DuckDB/PySpark parity."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from ibis.backends import BaseBackend
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from siyu.analytics.recommend import (
    REASONS,
    NextBestProducts,
    history_matrix,
    load_histories,
    load_roles,
)
from siyu.demo.loader import DemoLoader
from siyu.demo.simulator import simulate_brand
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import NotFoundError, SiyuError
from siyu.models import CustomerRecommendation, Product, Workspace
from siyu.recommend.service import (
    STEPS,
    customer_recommendations,
    recommend_all,
    recommendation_columns,
)
from siyu.warehouse.engine import connect, tables
from siyu.warehouse.snapshot import SnapshotWriter

# The snapshot reads committed data through a connection of its own: commit what is loaded.
pytestmark = pytest.mark.committed
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def _published(session: Session, workspace_id: int) -> list[CustomerRecommendation]:
    query = select(CustomerRecommendation).where(
        CustomerRecommendation.workspace_id == workspace_id
    )
    return list(session.scalars(query.order_by("customer_id", "rank")))


def test_every_buyer_gets_a_ranked_list_that_follows_the_rules(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=3_000, seed=21)).load()
    session.commit()
    report = recommend_all(session, workspace_id, root=tmp_path, as_of=AS_OF, top=5)
    session.commit()
    assert tuple(report.seconds) == STEPS
    rows = _published(session, workspace_id)
    assert len(rows) == report.rows and sum(report.reasons.values()) == report.rows
    t = tables(connect("duckdb"), tmp_path)
    histories = load_histories(t, AS_OF)
    buyers = np.unique(histories.customer_id)
    by_customer: dict[int, list[CustomerRecommendation]] = {}
    for row in rows:
        by_customer.setdefault(row.customer_id, []).append(row)
    assert sorted(by_customer) == buyers.tolist() == sorted(set(by_customer))
    roles = {p.id: p.role for p in session.scalars(
        select(Product).where(Product.workspace_id == workspace_id))}  # fmt: skip
    owned: dict[int, set[int]] = {}
    for c, p in zip(histories.customer_id.tolist(), histories.product_id.tolist(), strict=True):
        owned.setdefault(c, set()).add(p)
    for customer, ranked in by_customer.items():
        assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
        assert len(ranked) <= 5 and len({r.product_id for r in ranked}) == len(ranked)
        assert {r.reason for r in ranked} <= set(REASONS)
        mine = owned[customer]
        # entry products are never recommended to someone who owns them
        assert not any(r.product_id in mine and roles[r.product_id] in ("trial", "traffic")
                       for r in ranked)  # fmt: skip
        has_entry = any(roles[p] in ("trial", "traffic") for p in mine)
        has_main = any(roles[p] == "profit" for p in mine)
        if has_entry and not has_main:
            assert ranked[0].reason == "trial_to_main" and roles[ranked[0].product_id] == "profit"
    again = recommend_all(session, workspace_id, root=tmp_path, as_of=AS_OF, top=5)
    session.commit()
    assert again.rows == report.rows and len(_published(session, workspace_id)) == report.rows


def test_show_one_customer_and_clear_errors(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=1_000, seed=22)).load()
    session.commit()
    recommend_all(session, workspace_id, root=tmp_path, as_of=AS_OF, top=3)
    session.commit()
    first = _published(session, workspace_id)[0]
    shown = customer_recommendations(session, workspace_id, first.customer_id, 3)
    assert [r.rank for r in shown] == list(range(1, len(shown) + 1))
    assert shown[0].product_id == first.product_id and shown[0].sku.startswith("SG-")
    with pytest.raises(NotFoundError) as unknown:
        customer_recommendations(session, workspace_id, 10**9, 3)
    assert unknown.value.key == "recommend.unknown_customer"
    session.execute(delete(CustomerRecommendation).where(
        CustomerRecommendation.customer_id == first.customer_id))  # fmt: skip
    with pytest.raises(SiyuError) as none:
        customer_recommendations(session, workspace_id, first.customer_id, 3)
    assert none.value.key == "recommend.none" and "siyu recommend" in none.value.message("zh-CN")


def test_an_empty_workspace_publishes_nothing(
    session: Session, workspace_id: int, tmp_path: Path
) -> None:
    session.commit()
    report = recommend_all(session, workspace_id, root=tmp_path, as_of=AS_OF)
    assert report.rows == 0 and report.customers == 0
    count = session.scalar(select(func.count()).select_from(CustomerRecommendation))
    assert count == 0
    assert session.get(Workspace, workspace_id) is not None


@pytest.fixture(scope="module")
def spark(engine: Engine) -> Iterator[BaseBackend]:
    if engine.dialect.name != "sqlite":
        pytest.skip("both engines read the same snapshot whatever the store: one store is enough")
    backend = connect("pyspark")
    yield backend
    backend.disconnect()


@pytest.mark.spark
def test_duckdb_and_pyspark_give_the_same_histories_and_recommendations(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path, spark: BaseBackend
) -> None:
    DemoLoader(session, workspace_id, cipher, simulate_brand(orders=3_000, seed=23)).load()
    session.commit()
    SnapshotWriter(session.get_bind(), workspace_id, tmp_path).refresh()
    on = [tables(connect("duckdb"), tmp_path), tables(spark, tmp_path)]
    held_out = [load_histories(t, AS_OF, since=datetime(2026, 5, 1, tzinfo=UTC)) for t in on]
    everything = [load_histories(t, AS_OF) for t in on]
    for duck, sparked in (held_out, everything):
        assert len(duck) > 200
        for name in ("customer_id", "product_id", "first_day", "last_day", "n_orders",
                     "n_days", "quantity"):  # fmt: skip
            a, b = getattr(duck, name), getattr(sparked, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    roles = [load_roles(t) for t in on]
    assert roles[0] == roles[1] and set(roles[0].values()) >= {"trial", "profit"}
    published = [
        recommendation_columns(NextBestProducts().fit(history_matrix(h, r)))
        for h, r in zip(everything, roles, strict=True)
    ]
    assert published[0] == published[1]
