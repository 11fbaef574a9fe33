"""Products, channel costs and contacts imports on both databases."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.catalog.service import import_products
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import SiyuError
from siyu.models import Channel, ChannelCost, Contact, Customer, Identity, Product, StaffAccount
from siyu.pool.service import import_contacts, import_costs


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_products_import_sets_roles_and_is_idempotent(
    session: Session, workspace_id: int, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "catalogue.csv", [
        ["商家编码", "商品名称", "角色", "售价", "成本"],
        ["SKU-TRIAL", "体验装 5ml", "体验装", "¥9.90", "4.50"],
        ["SKU-MAIN", "精华 50ml", "profit", "299.00", "61.00"],
        ["SKU-BAD", "坏角色", "superstar", "1", "1"],
        ["3.82912E+18", "Excel 损坏", "profit", "1", "1"],
    ], encoding="gb18030")  # fmt: skip
    first = import_products(session, workspace_id=workspace_id, path=path)
    assert (first.created, first.updated, len(first.rejects)) == (2, 0, 2)
    assert [(r.line, r.column) for r in first.rejects] == [(4, "角色"), (5, "商家编码")]
    trial = session.scalars(select(Product).where(Product.sku == "SKU-TRIAL")).one()
    assert (trial.role, trial.price_fen, trial.unit_cost_fen) == ("trial", 990, 450)
    second = import_products(session, workspace_id=workspace_id, path=path)
    assert (second.created, second.updated) == (0, 2)
    assert session.scalars(select(Product).where(Product.workspace_id == workspace_id)).all()


def test_costs_import_creates_channels_and_replaces_same_day(
    session: Session, workspace_id: int, tmp_path: Path
) -> None:
    header = ["日期", "渠道", "金额", "渠道类型"]
    first = _csv(tmp_path / "c1.csv", [header, ["2026-03-01", "red_card", "1,200.00", "包裹卡"],
                                       ["2026/03/02", "red_card", "800", "包裹卡"],
                                       ["2026-03-02", "cs", "-5", "客服"]])  # fmt: skip
    result = import_costs(session, workspace_id=workspace_id, path=first)
    assert (result.created, len(result.rejects)) == (2, 1)
    assert result.rejects[0].line == 4 and "negative" in result.rejects[0].reason
    channel = session.scalars(select(Channel).where(Channel.code == "red_card")).one()
    assert channel.kind == "package_card"
    later = _csv(tmp_path / "c2.csv", [header, ["2026-03-02", "red_card", "900", "包裹卡"]])
    again = import_costs(session, workspace_id=workspace_id, path=later)
    assert (again.created, again.updated) == (0, 1)
    cost = session.scalars(select(ChannelCost).where(ChannelCost.day == date(2026, 3, 2))).one()
    assert cost.amount_fen == 90_000


def test_contacts_import_resolves_customers_and_updates_leaving(
    session: Session, workspace_id: int, cipher: PiiCipher, tmp_path: Path
) -> None:
    header = ["external_userid", "手机号", "客户名称", "载体", "员工", "渠道", "添加时间",
              "删除时间", "删除原因"]  # fmt: skip
    rows = [
        header,
        ["wmAAA", "19900002222", "张三", "企业微信", "staff01", "cs_invite", "2026-02-01 10:00:00",
         "", ""],
        ["", "19900002222", "张三", "群", "", "cs_invite", "2026-02-03 10:00:00", "", ""],
        ["", "", "无标识", "企业微信", "staff01", "", "2026-02-03 10:00:00", "", ""],
        ["wmBBB", "", "", "企业微信", "staff02", "red_card", "2026-02-05 10:00:00",
         "2026-02-01 00:00:00", "客户删除"],
    ]  # fmt: skip
    result = import_contacts(
        session, workspace_id=workspace_id, cipher=cipher, path=_csv(tmp_path / "c.csv", rows)
    )
    assert (result.created, len(result.rejects)) == (2, 2)
    assert {r.line for r in result.rejects} == {4, 5}
    customers = session.scalars(select(Customer).where(Customer.workspace_id == workspace_id)).all()
    assert len(customers) == 1
    assert customers[0].name_enc is not None and cipher.decrypt(customers[0].name_enc) == "张三"
    staff = session.scalars(select(StaffAccount.code)).all()
    assert "staff01" in staff
    rows[4][7] = "2026-02-09 00:00:00"
    rows[1][7], rows[1][8] = "2026-03-01 08:00:00", "客户删除"
    again = import_contacts(
        session, workspace_id=workspace_id, cipher=cipher, path=_csv(tmp_path / "c2.csv", rows)
    )
    assert (again.created, again.updated, again.unchanged) == (1, 1, 1)
    left = session.scalars(select(Contact).where(Contact.left_at.is_not(None))).all()
    assert {c.left_reason for c in left} == {"deleted_by_customer"}
    assert session.scalars(select(Identity.kind).distinct()).all()


def test_missing_required_column_fails_whole_file(
    session: Session, workspace_id: int, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "bad.csv", [["日期", "金额"], ["2026-01-01", "1"]])
    with pytest.raises(SiyuError) as err:
        import_costs(session, workspace_id=workspace_id, path=path)
    assert "channel" in err.value.message("en")
    assert session.scalars(select(ChannelCost)).all() == []
