"""Channel codes on both databases: routing under limits and shifts, staff removed
mid-campaign, insert cards for a batch of orders, and syncing WeCom contact ways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.channels import service as channels
from siyu.channels.schemas import ChannelCodeCreate
from siyu.kit.clock import CHINA_TZ
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ConflictError, NotFoundError, ValidationError
from siyu.models import ChannelCost, ChannelJoin, StaffAccount
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from tests.fakes.wecom import FakeWeCom
from tests.fixtures import pool

AT = datetime(2026, 3, 4, 10, 30, tzinfo=CHINA_TZ).astimezone(UTC)  # a Wednesday morning


def _code(session: Session, workspace_id: int, **overrides: object) -> None:
    for code in ("wecom_a", "wecom_b", "wecom_c"):
        pool.staff(session, workspace_id=workspace_id, code=code, limit=2)
    spec = {
        "code": "pkg_q3",
        "name": "包裹卡 Q3",
        "channel": "package_card",
        "channel_kind": "package_card",
        "staff": ["wecom_a", "wecom_b"],
        "backup_staff": ["wecom_c"],
        "cost_per_join_fen": 250,
    } | overrides
    channels.create_code(session, workspace_id, ChannelCodeCreate.model_validate(spec))


def _join(session: Session, workspace_id: int, staff_code: str, at: datetime) -> str:
    staff = channels.require_staff(session, workspace_id, staff_code)
    who = pool.customer(session, workspace_id=workspace_id)
    landing = channels.land_join(
        session, workspace_id, customer_id=who, staff=staff, state="pkg_q3", joined_at=at
    )
    return landing.outcome


def test_landing_rotates_then_falls_back_to_backup_then_overflows(
    session: Session, workspace_id: int
) -> None:
    _code(session, workspace_id)
    seen = []
    for minute in range(7):
        at = AT + timedelta(minutes=minute)
        target = channels.resolve_landing(session, workspace_id, "pkg_q3", at)
        seen.append((target.staff_code, target.backup, target.overflow))
        _join(session, workspace_id, target.staff_code, at)
    assert seen == [
        ("wecom_a", False, False),
        ("wecom_b", False, False),
        ("wecom_a", False, False),
        ("wecom_b", False, False),  # both primaries at their limit
        ("wecom_c", True, False),
        ("wecom_c", True, False),  # then the backup, to its limit
        ("wecom_a", False, True),  # everyone full: the joiner is still taken, flagged
    ]
    tomorrow = AT + timedelta(days=1)  # limits reset at China midnight
    assert channels.resolve_landing(session, workspace_id, "pkg_q3", tomorrow).overflow is False


def test_joins_are_attributed_with_cost(session: Session, workspace_id: int) -> None:
    _code(session, workspace_id)
    assert _join(session, workspace_id, "wecom_a", AT) == "attributed"
    assert _join(session, workspace_id, "wecom_b", AT) == "attributed"
    cost = session.scalars(
        select(ChannelCost).where(ChannelCost.workspace_id == workspace_id)
    ).one()
    assert cost.amount_fen == 500 and cost.day == AT.astimezone(CHINA_TZ).date()
    listed = channels.list_codes(session, workspace_id)
    assert [(s.code.code, s.joins, s.staff, s.backup_staff) for s in listed] == [
        ("pkg_q3", 2, ["wecom_a", "wecom_b"], ["wecom_c"])
    ]


def test_staff_removed_mid_campaign(session: Session, workspace_id: int) -> None:
    _code(session, workspace_id, routing="least_loaded")
    channels.remove_staff(session, workspace_id, "pkg_q3", "wecom_a")
    targets = {
        channels.resolve_landing(session, workspace_id, "pkg_q3", AT).staff_code for _ in range(3)
    }
    assert targets == {"wecom_b"}
    # a customer who scanned the old QR of wecom_a still lands, attributed to the code
    assert _join(session, workspace_id, "wecom_a", AT) == "attributed"
    channels.set_staff_service(session, workspace_id, "wecom_b", active=False)
    assert channels.resolve_landing(session, workspace_id, "pkg_q3", AT).staff_code == "wecom_c"
    assert _join(session, workspace_id, "wecom_b", AT) == "staff_inactive"
    with pytest.raises(NotFoundError):
        channels.remove_staff(session, workspace_id, "pkg_q3", "wecom_a")


def test_shifts_route_to_who_is_working(session: Session, workspace_id: int) -> None:
    _code(session, workspace_id)
    channels.set_shifts(session, workspace_id, "wecom_a", "1-5 13:00-22:00")
    targets = [
        channels.resolve_landing(session, workspace_id, "pkg_q3", AT).staff_code for _ in range(2)
    ]
    assert targets == ["wecom_b", "wecom_b"]
    with pytest.raises(ValidationError):
        channels.set_shifts(session, workspace_id, "wecom_a", "Monday mornings")


def test_bad_codes_are_clear_errors(session: Session, workspace_id: int) -> None:
    _code(session, workspace_id)
    with pytest.raises(ConflictError, match="already exists"):
        _code_again(session, workspace_id)
    with pytest.raises(NotFoundError) as missing:
        channels.resolve_landing(session, workspace_id, "nope", AT)
    assert "nope" in missing.value.message("en")
    with pytest.raises(NotFoundError, match="ghost"):
        channels.create_code(
            session,
            workspace_id,
            ChannelCodeCreate(code="x1", name="x", channel="c", staff=["ghost"]),
        )


def _code_again(session: Session, workspace_id: int) -> None:
    channels.create_code(
        session,
        workspace_id,
        ChannelCodeCreate(code="pkg_q3", name="again", channel="package_card", staff=["wecom_a"]),
    )


def test_insert_cards_for_a_batch_of_orders(
    session: Session, workspace_id: int, cipher: PiiCipher
) -> None:
    _code(session, workspace_id)
    shop = pool.shop(session, workspace_id=workspace_id)
    in_pool = pool.customer(session, workspace_id=workspace_id)
    channels.land_join(
        session,
        workspace_id,
        customer_id=in_pool,
        staff=channels.require_staff(session, workspace_id, "wecom_a"),
        state="",
        joined_at=AT - timedelta(days=30),
    )
    for i in range(5):
        who = in_pool if i == 0 else pool.customer(session, workspace_id=workspace_id)
        pool.order(
            session,
            workspace_id=workspace_id,
            shop_id=shop.id,
            number=f"38291000000{i:05d}",
            customer_id=who,
            ordered_at=AT - timedelta(hours=i),
            status="closed" if i == 4 else "paid",
        )
    cards = channels.order_cards(
        session,
        workspace_id,
        cipher,
        code="pkg_q3",
        public_base_url="https://x.cn",
        since=AT - timedelta(days=1),
        until=AT + timedelta(hours=1),
    )
    assert [c.order_ref for c in cards] == ["000003", "000002", "000001"]
    assert all(c.url.startswith("https://x.cn/j/pkg_q3?o=") for c in cards)
    assert "38291000000" not in cards[0].url  # the order number is not in the URL
    everyone = channels.order_cards(
        session,
        workspace_id,
        cipher,
        code="pkg_q3",
        public_base_url="https://x.cn",
        skip_pool=False,
        since=AT - timedelta(days=1),
        until=AT + timedelta(hours=1),
    )
    assert len(everyone) == 4


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def test_sync_keeps_contact_ways_in_line(
    session: Session, workspace_id: int, fake: FakeWeCom
) -> None:
    _code(session, workspace_id)
    client = WeComClient(fake.corp_id, fake.secret, base_url=fake.url, sleep=lambda s: None)
    first = wecom.sync_codes(session, workspace_id, client, at=AT)
    assert (first.created, first.updated, first.errors) == (4, 0, [])  # 1 shared + 3 personal
    code = channels.require_code(session, workspace_id, "pkg_q3")
    shared = fake.contact_ways[code.wecom_config_id]
    assert (shared["state"], shared["user"]) == ("pkg_q3", ["wecom_a", "wecom_b"])
    assert wecom.sync_codes(session, workspace_id, client, at=AT).updated == 0
    for _ in range(2):
        _join(session, workspace_id, "wecom_a", AT)  # wecom_a reaches the daily limit
    assert wecom.sync_codes(session, workspace_id, client, at=AT).updated == 1
    assert fake.contact_ways[code.wecom_config_id]["user"] == ["wecom_b"]
    channels.set_status(session, workspace_id, "pkg_q3", "archived")
    ended = wecom.sync_codes(session, workspace_id, client, at=AT)
    assert ended.deleted == 4 and fake.contact_ways == {}


def test_sync_reports_a_refused_code_and_goes_on(
    session: Session, workspace_id: int, fake: FakeWeCom
) -> None:
    _code(session, workspace_id)
    pool.staff(session, workspace_id=workspace_id, code="not_in_wecom")
    channels.create_code(
        session,
        workspace_id,
        ChannelCodeCreate(code="a_bad", name="x", channel="c", staff=["not_in_wecom"]),
    )
    client = WeComClient(fake.corp_id, fake.secret, base_url=fake.url, sleep=lambda s: None)
    report = wecom.sync_codes(session, workspace_id, client, at=AT)
    assert report.errors == ["a_bad: errcode 40003"]
    assert report.created == 4
    joins = session.scalars(select(ChannelJoin)).all()
    assert joins == [] and session.scalars(select(StaffAccount)).all()
