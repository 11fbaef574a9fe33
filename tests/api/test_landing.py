"""The public landing page /j/{code}: live codes show a staff QR and count the visit; unknown,
paused, ended and unconnected codes get their own page in both languages, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from siyu.channels import repository as channel_repository
from siyu.channels import service as channels
from siyu.channels.schemas import ChannelCodeCreate
from siyu.db.engine import unit_of_work
from siyu.kit.clock import utcnow
from siyu.models import ChannelVisit, Customer
from siyu.referral import service as referrals
from siyu.referral.schemas import CampaignCreate, CampaignRules, RewardRule
from siyu.wecom.client import WeComClient
from siyu.wecom.endpoints import WeComConnection
from tests.api.conftest import World
from tests.fakes.wecom import FakeWeCom


def _code(code: str, **extra: object) -> ChannelCodeCreate:
    spec = {"code": code, "name": f"卡 {code}", "channel": "package_card", "staff": ["cs01"]}
    return ChannelCodeCreate.model_validate(spec | extra)


@pytest.fixture(scope="module")
def codes(world: World) -> World:
    """Codes in every state: live (connected to WeCom), not connected, paused, ended."""
    with unit_of_work(world.store.sessions) as s:
        ws = world.workspace_id
        live = channels.create_code(s, ws, _code("live_card"))
        for member, _ in channel_repository.code_staff(s, live.id):
            member.wecom_qr_url = "https://wework.qpic.cn/fake/cfg-live.png"
        channels.create_code(s, ws, _code("not_synced"))
        channels.create_code(s, ws, _code("paused_card"))
        channels.set_status(s, ws, "paused_card", "paused")
        channels.create_code(s, ws, _code("ended_card", ends_at=utcnow() - timedelta(days=1)))
    return world


def _visits(world: World, code: str) -> list[ChannelVisit]:
    with unit_of_work(world.store.sessions) as s:
        found = channels.require_code(s, world.workspace_id, code)
        query = select(ChannelVisit).where(ChannelVisit.channel_code_id == found.id)
        return list(s.scalars(query))


def test_a_live_code_shows_the_staff_qr_and_counts_the_visit(codes: World) -> None:
    client = codes.client()
    page = client.get("/j/live_card?o=0a1b2c3d4e5f")
    assert page.status_code == 200
    assert 'src="https://wework.qpic.cn/fake/cfg-live.png"' in page.text
    assert "长按" in page.text  # the visitor's language: zh-CN by default
    assert "img-src 'self' https:" in page.headers["content-security-policy"]
    assert client.get("/j/live_card?o=<script>").status_code == 200  # a bad token is dropped
    visits = _visits(codes, "live_card")
    assert [v.order_token for v in visits] == ["0a1b2c3d4e5f", ""]
    assert all(v.staff_account_id is not None for v in visits)
    with unit_of_work(codes.store.sessions) as s:
        summary = next(c for c in channels.list_codes(s, codes.workspace_id)
                       if c.code.code == "live_card")  # fmt: skip
    assert (summary.visits, summary.joins) == (2, 0)


@pytest.mark.parametrize(
    ("code", "status", "zh", "en"),
    [
        ("paused_card", 200, "暂停", "paused"),
        ("ended_card", 410, "已结束", "ended"),
        ("not_synced", 200, "稍后", "try again in a few minutes"),
        ("no_such_code", 404, "不存在", "does not exist"),
        ("ref_0000000000", 404, "不存在", "does not exist"),
    ],
)
def test_codes_that_cannot_take_visitors_get_a_page_in_both_languages(
    codes: World, code: str, status: int, zh: str, en: str
) -> None:
    client = codes.client()
    chinese = client.get(f"/j/{code}")
    english = client.get(f"/j/{code}?lang=en")
    assert (chinese.status_code, english.status_code) == (status, status)
    assert zh in chinese.text and en in english.text
    assert "<img" not in chinese.text
    assert "content-security-policy" in chinese.headers


@pytest.fixture
def fake_wecom(codes: World) -> Iterator[FakeWeCom]:
    """The app connected to a fake WeCom (API client only: no callbacks needed here)."""
    with FakeWeCom(staff=("cs01", "cs02")) as fake:
        client = WeComClient(fake.corp_id, fake.secret, base_url=fake.url, sleep=lambda s: None)
        codes.app.state.wecom = WeComConnection(client, None)
        try:
            yield fake
        finally:
            del codes.app.state.wecom


def test_a_referral_code_gets_a_contact_way_with_its_state(
    codes: World, fake_wecom: FakeWeCom
) -> None:
    with unit_of_work(codes.store.sessions) as s:
        referrals.create_campaign(s, codes.workspace_id, CampaignCreate(
            code="spring_landing", name="老带新",
            rules=CampaignRules(rewards=[RewardRule(trigger="join", beneficiary="referrer",
                                                    kind="points", amount=100)]),
        ))  # fmt: skip
        referrer = Customer(workspace_id=codes.workspace_id)
        s.add(referrer)
        s.flush()
        issued = referrals.issue_codes(s, codes.workspace_id, "spring_landing", [referrer.id])
    code = issued[referrer.id]
    client = codes.client()
    first, again = client.get(f"/j/{code}"), client.get(f"/j/{code}")
    assert first.status_code == again.status_code == 200
    (way,) = fake_wecom.contact_ways.values()  # made once, on the first visit
    # the least busy active staff member: which one depends on the seeded contacts and tasks
    assert way["state"] == code and way["user"] in (["cs01"], ["cs02"])
    assert "https://wework.qpic.cn/fake/" in first.text


def test_a_referral_code_without_wecom_says_so(codes: World) -> None:
    with unit_of_work(codes.store.sessions) as s:
        referrals.create_campaign(s, codes.workspace_id, CampaignCreate(
            code="autumn_landing", name="老带新",
            rules=CampaignRules(rewards=[RewardRule(trigger="join", beneficiary="referrer",
                                                    kind="points", amount=100)]),
        ))  # fmt: skip
        referrer = Customer(workspace_id=codes.workspace_id)
        s.add(referrer)
        s.flush()
        issued = referrals.issue_codes(s, codes.workspace_id, "autumn_landing", [referrer.id])
    page = codes.client().get(f"/j/{issued[referrer.id]}?lang=en")
    assert page.status_code == 200 and "try again in a few minutes" in page.text
