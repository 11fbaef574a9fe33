"""The engagement commands end to end on a small demo brand, in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import siyu


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("engage")
    assert siyu(home, "init").returncode == 0
    loaded = siyu(home, "demo", "load", "--orders", "3000", "--seed", "5")
    assert loaded.returncode == 0, loaded.stderr
    ran = siyu(home, "run")
    assert ran.returncode == 0, ran.stderr
    return home


def test_segments_create_count_and_refuse_bad_rules(demo_home: Path) -> None:
    created = siyu(demo_home, "segment", "create", "slipping",
                   "--rule", "stage in [silent, dormant] and n_purchases >= 1")  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert "Silent" in created.stdout and "total" in created.stdout
    listed = siyu(demo_home, "segment", "list")
    assert "slipping" in listed.stdout
    members = siyu(demo_home, "segment", "members", "slipping", "--limit", "3")
    assert members.returncode == 0 and "members" in members.stdout
    preview = siyu(demo_home, "segment", "preview", "--rule", '{"field": "tier", "op": ">=", '
                   '"value": "repeat"}')  # fmt: skip
    assert preview.returncode == 0, preview.stderr
    bad = siyu(demo_home, "segment", "create", "bad", "--rule", "stage = slient", locale="zh-CN")
    assert bad.returncode == 2
    assert "slient" in bad.stderr and "silent" in bad.stderr and "Traceback" not in bad.stderr
    syntax = siyu(demo_home, "segment", "preview", "--rule", "stage in [silent")
    assert syntax.returncode == 2 and "character 17" in syntax.stderr
    tagged = siyu(demo_home, "tag", "add", "vip", "1", "2")
    assert tagged.returncode == 0 and "+2" in tagged.stdout
    fields = siyu(demo_home, "segment", "fields")
    assert "consent.sms" in fields.stdout


def test_policy_and_consent(demo_home: Path) -> None:
    shown = siyu(demo_home, "policy", "show")
    assert shown.returncode == 0 and '"quiet_hours"' in shown.stdout
    bad = demo_home / "bad-policy.yaml"
    bad.write_text("overall:\n  day: -1\nquiet_hours:\n  start: '25:00'\n", encoding="utf-8")
    refused = siyu(demo_home, "policy", "set", str(bad))
    assert refused.returncode == 2 and "overall.day" in refused.stderr
    chinese = siyu(demo_home, "policy", "set", str(bad), locale="zh-CN")
    assert chinese.returncode == 2 and "触达策略无效：overall.day: 须不小于 0" in chinese.stderr
    good = demo_home / "policy.yaml"
    good.write_text("overall:\n  day: 2\n  week: 4\ndefault_time_zone: Asia/Shanghai\n",
                    encoding="utf-8")  # fmt: skip
    assert siyu(demo_home, "policy", "set", str(good)).returncode == 0
    assert '"day": 2' in siyu(demo_home, "policy", "show").stdout
    opted = siyu(demo_home, "consent", "opt-out", "3", "--channel", "sms")
    assert opted.returncode == 0, opted.stderr
    unknown = siyu(demo_home, "consent", "opt-out", "3", "--channel", "fax")
    assert unknown.returncode == 2 and "fax" in unknown.stderr
    served = siyu(demo_home, "consent", "opt-out", "3", "--channel", "sms", "--purpose", "service")
    assert served.returncode == 0 and "(service)" in served.stdout
    gossip = siyu(demo_home, "consent", "grant", "3", "--purpose", "gossip", locale="zh-CN")
    assert gossip.returncode == 2 and "gossip" in gossip.stderr and "用途" in gossip.stderr
    why = siyu(demo_home, "policy", "why", "3")
    assert why.returncode == 0


def test_campaign_from_segment_to_results(demo_home: Path) -> None:
    assert (
        siyu(demo_home, "segment", "create", "buyers", "--rule", "n_purchases >= 1").returncode == 0
    )
    assert siyu(demo_home, "holdout", "set", "0.05").returncode == 0
    banned = siyu(demo_home, "campaign", "create", "bad", "--segment", "buyers", "--channel",
                  "console", "--send-at", "2030-01-01 10:00", "--text", "全网第一的精华",
                  locale="zh-CN")  # fmt: skip
    assert banned.returncode == 2 and "全网第一" in banned.stderr and "违禁词" in banned.stderr
    created = siyu(demo_home, "campaign", "create", "spring", "--segment", "buyers",
                   "--channel", "console", "--send-at", "2030-01-01 10:00", "--text",
                   "{tier}您好", "--variant", "B=新品上市", "--control", "0.2")  # fmt: skip
    assert created.returncode == 0, created.stderr
    planned = siyu(demo_home, "campaign", "plan", "spring")
    assert planned.returncode == 0, planned.stderr
    assert "decisions/s" in planned.stdout and "variant B" in planned.stdout
    launched = siyu(demo_home, "campaign", "launch", "spring")
    assert launched.returncode == 0, launched.stderr
    assert "messages queued" in launched.stdout
    listed = siyu(demo_home, "campaign", "list")
    assert "launched" in listed.stdout
    shown = siyu(demo_home, "campaign", "results", "spring")
    assert shown.returncode == 0, shown.stderr
    assert "window still open" in shown.stdout and "treatment" in shown.stdout
    delivered = siyu(demo_home, "worker", "--once")
    assert delivered.returncode == 0, delivered.stderr


def test_playbooks_journey_and_tasks(demo_home: Path) -> None:
    shown = siyu(demo_home, "playbook", "show")
    assert shown.returncode == 0 and "every_days" in shown.stdout
    edited = demo_home / "playbooks.yaml"
    edited.write_text(shown.stdout.replace("every_days: 7", "every_days: 5"), encoding="utf-8")
    assert siyu(demo_home, "playbook", "set", str(edited)).returncode == 0
    daily = siyu(demo_home, "engage", "daily")
    assert daily.returncode == 0, daily.stderr
    assert "active" in daily.stdout and "journey" in daily.stdout and "tasks" in daily.stdout
    staff = siyu(demo_home, "tasks", "today", "--staff", "nobody")
    assert staff.returncode == 2 and "nobody" in staff.stderr
    done = siyu(demo_home, "tasks", "done", "999999", "--outcome", "replied")
    assert done.returncode == 2 and "999999" in done.stderr


def test_content_library_and_sops(demo_home: Path) -> None:
    added = siyu(demo_home, "content", "add", "welcome", "--text", "欢迎加入{brand}",
                 "--persona", "cs_ip")  # fmt: skip
    assert added.returncode == 0, added.stderr
    card = siyu(demo_home, "content", "add", "card", "--kind", "mini_program", "--title", "上新",
                "--media", "appid=wx1", "--media", "page=pages/new")  # fmt: skip
    assert card.returncode == 0, card.stderr
    broken = siyu(demo_home, "content", "add", "img", "--kind", "image")
    assert broken.returncode == 2 and "image_url" in broken.stderr
    assert "card" in siyu(demo_home, "content", "list").stdout
    assert siyu(demo_home, "content", "check", "史无前例的优惠").returncode == 2
    assert siyu(demo_home, "content", "banned", "--add", "秒杀").returncode == 0
    assert "秒杀" in siyu(demo_home, "content", "banned").stdout
    plan = demo_home / "sop.yaml"
    plan.write_text("code: onboard\ntrigger: joined\nsteps:\n  - {day: 0, template: welcome}\n"
                    "  - {day: 7, template: card}\n", encoding="utf-8")  # fmt: skip
    saved = siyu(demo_home, "sop", "add", str(plan))
    assert saved.returncode == 0, saved.stderr
    assert "onboard" in siyu(demo_home, "sop", "list").stdout
    ran = siyu(demo_home, "sop", "run")
    assert ran.returncode == 0 and "onboard" in ran.stdout
