"""The content library and SOP plans on both databases: templates checked before they can be
scheduled, customer steps through the contact policy, group and Moments posts within limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pydantic
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.engage.content import service as content
from siyu.engage.content.schemas import SopPlanCreate, TemplateCreate
from siyu.engage.playbooks import service as playbooks
from siyu.kit.errors import ValidationError
from siyu.models import OutboxMessage
from tests.fixtures.engage import NOW, contact, customers, staff


def _messages(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _templates(session: Session, ws: int) -> None:
    for data in (
        TemplateCreate(code="welcome", text="欢迎加入！我是您的专属顾问{name}～", persona="cs_ip"),
        TemplateCreate(code="tips", kind="link", title="三步用好精华", text="使用小贴士",
                       media={"link_url": "https://brand.example/tips"}),
        TemplateCreate(code="daily", kind="mini_program", title="今日上新", persona="image",
                       media={"appid": "wx123", "page": "pages/new"}),
        TemplateCreate(code="founder", text="创始人手记：{brand}的第十年", persona="founder"),
    ):  # fmt: skip
        content.save_template(session, ws, data)


def test_templates_are_checked_and_replaced(session: Session, workspace_id: int) -> None:
    _templates(session, workspace_id)
    with pytest.raises(pydantic.ValidationError):
        TemplateCreate(code="x", kind="image", text="hi")
    with pytest.raises(ValidationError) as banned:
        content.save_template(session, workspace_id, TemplateCreate(code="x", text="全网第一"))
    assert banned.value.key == "content.banned_words"
    with pytest.raises(ValidationError):
        content.save_template(session, workspace_id, TemplateCreate(code="x", text="{coupon}"))
    content.save_template(session, workspace_id, TemplateCreate(code="tips", text="新版贴士"))
    found = {t.code: t for t in content.list_templates(session, workspace_id)}
    assert found["tips"].kind == "text" and found["tips"].text == "新版贴士"
    assert found["daily"].media == {"appid": "wx123", "page": "pages/new"}
    assert content.set_banned_words(session, workspace_id, ["秒杀", " "]) == ["秒杀"]
    content.save_template(session, workspace_id, TemplateCreate(code="y", text="全网第一"))


def test_customer_sops_after_joining_through_the_policy(
    session: Session, workspace_id: int
) -> None:
    ws = workspace_id
    _templates(session, ws)
    anna = staff(session, ws, "anna")
    today, earlier, other = customers(session, ws, [{"stage": "none", "n_purchases": 0}] * 3)
    contact(session, ws, today, staff_id=anna, joined_at=NOW - timedelta(hours=1))
    contact(session, ws, earlier, staff_id=anna, joined_at=NOW - timedelta(days=3))
    contact(session, ws, other, staff_id=anna, joined_at=NOW - timedelta(days=5))
    steps = [{"day": 0, "template": "welcome", "hour": 11}, {"day": 3, "template": "tips"}]
    content.save_plan(session, ws, SopPlanCreate(code="onboard", trigger="joined", steps=steps))
    report = playbooks.run_sops(session, ws, NOW)
    assert report.queued == {"onboard": 2}
    sent = {m.customer_id: m for m in _messages(session)}
    assert set(sent) == {today, earlier}
    assert sent[today].payload["persona"] == "cs_ip" and "{name}" in sent[today].payload["text"]
    assert sent[today].next_attempt_at == datetime(2026, 6, 15, 3, 0, tzinfo=UTC)  # 11:00 local
    assert sent[earlier].payload["link_url"] == "https://brand.example/tips"
    assert playbooks.run_sops(session, ws, NOW + timedelta(hours=2)).queued == {"onboard": 0}


def test_group_and_moments_posts_keep_their_limits(session: Session, workspace_id: int) -> None:
    ws = workspace_id
    _templates(session, ws)
    anna = staff(session, ws, "anna")
    a, b = customers(session, ws, [{}] * 2)
    contact(session, ws, a, carrier="group", ref="g-1")
    contact(session, ws, b, carrier="group", ref="g-2")
    with pytest.raises(ValidationError) as personal:
        content.save_plan(session, ws, SopPlanCreate(code="bad", trigger="group_daily",
                                                     steps=[{"template": "welcome"}]))  # fmt: skip
    assert personal.value.key == "sop.personal_in_group"
    with pytest.raises(ValidationError):
        content.save_plan(session, ws, SopPlanCreate(code="m", trigger="moments", targets=["bo"],
                                                     steps=[{"template": "daily"}]))  # fmt: skip
    content.save_plan(session, ws, SopPlanCreate(code="groups", trigger="group_daily", steps=[
        {"template": "daily", "hour": 22}, {"template": "founder", "weekday": 0}]))  # fmt: skip
    content.save_plan(session, ws, SopPlanCreate(code="feed", trigger="moments",
                                                 targets=["anna"], steps=[
        {"template": "founder", "on": "2026-06-15", "hour": 20}]))  # fmt: skip
    report = playbooks.run_sops(session, ws, NOW)  # a Monday
    assert report.queued == {"feed": 1, "groups": 4}
    posts = _messages(session)
    groups = [m for m in posts if m.channel == "wecom_group"]
    assert sorted(m.target for m in groups) == ["g-1", "g-1", "g-2", "g-2"]
    assert groups[0].customer_id is None
    # 22:00 falls in the quiet hours: moved to 09:00 the next morning (tomorrow's one post)
    by_time = sorted({m.next_attempt_at for m in groups})
    assert by_time == [datetime(2026, 6, 15, 2, 0, tzinfo=UTC),
                       datetime(2026, 6, 16, 1, 0, tzinfo=UTC)]  # fmt: skip
    (moment,) = [m for m in posts if m.channel == "wecom_moments"]
    assert moment.staff_account_id == anna and "的第十年" in moment.payload["text"]
    assert playbooks.run_sops(session, ws, NOW + timedelta(hours=1)).queued == {
        "feed": 0,
        "groups": 0,
    }
