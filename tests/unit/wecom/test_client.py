"""The WeCom client against the fake WeCom server (a real HTTP server, no mocks)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from siyu.wecom.client import (
    TokenCache,
    WeComApiError,
    WeComClient,
    WeComRateLimitedError,
    WeComUnreachableError,
)
from tests.fakes import wecom as fake_codes
from tests.fakes.wecom import FakeWeCom


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def client_for(fake: FakeWeCom, **kwargs: object) -> WeComClient:
    sleeps: list[float] = []
    client = WeComClient(
        fake.corp_id, fake.secret, base_url=fake.url, sleep=sleeps.append, clock=fake.now, **kwargs
    )  # type: ignore[arg-type]
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


def test_token_is_cached_until_near_expiry_then_refreshed(fake: FakeWeCom) -> None:
    client = client_for(fake)
    assert client.get_follow_user_list() == ["wecom_a", "wecom_b", "wecom_c"]
    client.get_follow_user_list()
    assert fake.token_calls == 1
    fake.advance(7200 - 200)  # inside the safety margin: fetched again before WeCom expires it
    client.get_follow_user_list()
    assert fake.token_calls == 2


def test_an_expired_token_is_replaced_once(fake: FakeWeCom) -> None:
    cache = TokenCache()
    client = client_for(fake, cache=cache)
    client.get_follow_user_list()
    # WeCom expired the token early (e.g. the secret was reset): the cache still trusts it.
    fake.tokens = {t: fake.now() - 1 for t in fake.tokens}
    assert client.get_follow_user_list()
    assert fake.token_calls == 2


def test_an_invalid_token_is_replaced_once_then_reported(fake: FakeWeCom) -> None:
    client = client_for(fake)
    client.get_follow_user_list()
    fake.fail_next("/cgi-bin/externalcontact/get_follow_user_list", fake_codes.INVALID_TOKEN, 2)
    with pytest.raises(WeComApiError) as failed:
        client.get_follow_user_list()
    assert failed.value.errcode == fake_codes.INVALID_TOKEN
    assert fake.token_calls == 2


def test_a_wrong_secret_is_a_clear_error(fake: FakeWeCom) -> None:
    client = WeComClient(fake.corp_id, "wrong", base_url=fake.url, sleep=lambda s: None)
    with pytest.raises(WeComApiError) as failed:
        client.get_follow_user_list()
    assert failed.value.errcode == fake_codes.INVALID_SECRET
    assert "40001" in failed.value.message("en") and "40001" in failed.value.message("zh-CN")
    assert fake.token_calls == 1  # not retried: a wrong secret does not get better


def test_rate_limits_are_retried_with_backoff(fake: FakeWeCom) -> None:
    client = client_for(fake)
    fake.fail_next("/cgi-bin/externalcontact/get_follow_user_list", fake_codes.RATE_LIMITED, 2)
    assert client.get_follow_user_list()
    assert client.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]


def test_persistent_rate_limit_is_raised(fake: FakeWeCom, caplog: pytest.LogCaptureFixture) -> None:
    client = client_for(fake)
    fake.fail_next("/cgi-bin/externalcontact/get", fake_codes.RATE_LIMITED, 10)
    with caplog.at_level(logging.WARNING), pytest.raises(WeComRateLimitedError) as limited:
        client.get_external_contact("wmSecretExternalId")
    assert limited.value.status_code == 429
    assert "wmSecretExternalId" not in caplog.text  # ids are personal data: never logged


def test_busy_is_retried(fake: FakeWeCom) -> None:
    client = client_for(fake)
    fake.fail_next("/cgi-bin/gettoken", fake_codes.BUSY, 1)
    assert client.get_follow_user_list()


def test_unreachable_server() -> None:
    client = WeComClient(
        "ww", "s", base_url="http://127.0.0.1:9", sleep=lambda s: None, max_attempts=2, timeout_s=2
    )
    with pytest.raises(WeComUnreachableError) as failed:
        client.get_follow_user_list()
    assert failed.value.status_code == 503


def test_contact_ways(fake: FakeWeCom) -> None:
    client = client_for(fake)
    way = client.add_contact_way(state="pkg_card_2024", users=["wecom_a", "wecom_b"])
    assert way.config_id in fake.contact_ways and way.qr_code.startswith("https://")
    assert fake.contact_ways[way.config_id]["type"] == 2
    client.update_contact_way(way.config_id, users=["wecom_c"])
    assert fake.contact_ways[way.config_id]["user"] == ["wecom_c"]
    with pytest.raises(WeComApiError) as unknown_staff:
        client.add_contact_way(state="x", users=["nobody"])
    assert unknown_staff.value.errcode == fake_codes.INVALID_USERID
    with pytest.raises(WeComApiError):
        client.add_contact_way(state="s" * 31, users=["wecom_a"])
    client.delete_contact_way(way.config_id)
    assert way.config_id not in fake.contact_ways


def test_contact_details_welcome_tags_and_batch_messages(fake: FakeWeCom) -> None:
    client = client_for(fake)
    _, event = fake.customer_adds(
        "wecom_a", "wmCust1", state="pkg", unionid="oU1", phone="13800138000", deliver=False
    )
    contact = client.get_external_contact("wmCust1")
    assert contact.unionid == "oU1"
    assert contact.follow_users[0].userid == "wecom_a"
    assert contact.follow_users[0].state == "pkg"
    assert contact.follow_users[0].remark_mobiles == ("13800138000",)
    code = event.split("<WelcomeCode><![CDATA[")[1].split("]]>")[0]
    client.send_welcome_msg(code, "欢迎！")
    assert fake.welcomes[0]["text"]["content"] == "欢迎！"
    with pytest.raises(WeComApiError):  # a welcome code is good for one message
        client.send_welcome_msg(code, "again")
    client.mark_tag(userid="wecom_a", external_userid="wmCust1", add_tag=["et1"])
    assert fake.tags[0]["add_tag"] == ["et1"]
    result = client.add_msg_template(
        sender="wecom_a", external_userids=["wmCust1", "wmGone"], text="上新啦"
    )
    assert result.msgid and result.fail_list == ("wmGone",)
    with pytest.raises(WeComApiError) as unknown:
        client.get_external_contact("wmNobody")
    assert unknown.value.errcode == fake_codes.INVALID_EXTERNAL_USERID


def test_expired_welcome_code(fake: FakeWeCom) -> None:
    client = client_for(fake)
    _, event = fake.customer_adds("wecom_a", "wmCust2", deliver=False)
    code = event.split("<WelcomeCode><![CDATA[")[1].split("]]>")[0]
    fake.advance(21)
    with pytest.raises(WeComApiError):
        client.send_welcome_msg(code, "late")


def test_group_chat(fake: FakeWeCom) -> None:
    client = client_for(fake)
    fake.customer_adds("wecom_a", "wmCust3", unionid="oU3", deliver=False)
    fake.create_group("wrChat1", "wecom_a", "茶友群", ["wmCust3"])
    group = client.get_group_chat("wrChat1")
    assert group.owner == "wecom_a" and group.name == "茶友群"
    assert {(m.userid, m.type) for m in group.members} == {("wecom_a", 1), ("wmCust3", 2)}
    with pytest.raises(WeComApiError):
        client.get_group_chat("wrNone")
