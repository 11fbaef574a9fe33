"""`siyu channel …` and `siyu wecom …` in a subprocess."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import siyu


def test_channel_codes_from_the_command_line(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    for staff in ("wecom_a", "wecom_b"):
        added = siyu(tmp_path, "channel", "staff", "add", staff, "--limit", "50")
        assert added.returncode == 0, added.stderr
    created = siyu(
        tmp_path,
        "channel",
        "code",
        "create",
        "pkg_q3",
        "--name",
        "包裹卡 Q3",
        "--channel",
        "package_card",
        "--kind",
        "package_card",
        "--staff",
        "wecom_a,wecom_b",
        "--cost",
        "2.50",
        "--welcome",
        "欢迎！回复 1 领取冲泡指南",
    )
    assert created.returncode == 0, created.stderr
    assert "https://example.com/j/pkg_q3" in created.stdout
    listed = siyu(tmp_path, "channel", "code", "list")
    assert "pkg_q3" in listed.stdout and "wecom_a, wecom_b" in listed.stdout
    assert "¥2.50" in listed.stdout
    routed = [siyu(tmp_path, "channel", "code", "route", "pkg_q3").stdout.strip() for _ in "ab"]
    assert routed == ["pkg_q3 → wecom_a", "pkg_q3 → wecom_b"]
    for suffix in ("png", "svg"):
        out = tmp_path / f"qr.{suffix}"
        made = siyu(tmp_path, "channel", "code", "qr", "pkg_q3", "--out", str(out))
        assert made.returncode == 0, made.stderr
        assert out.stat().st_size > 200
    none = siyu(tmp_path, "channel", "code", "cards", "pkg_q3", "--out", str(tmp_path / "c.pdf"))
    assert none.returncode == 0 and "No orders" in none.stdout
    shifts = siyu(tmp_path, "channel", "staff", "shifts", "wecom_a", "1-5 09:00-18:00")
    assert shifts.returncode == 0, shifts.stderr
    inactive = siyu(tmp_path, "channel", "staff", "set", "wecom_b", "--inactive")
    assert inactive.returncode == 0 and "inactive" in inactive.stdout
    bad = siyu(
        tmp_path,
        "channel",
        "code",
        "create",
        "包裹卡",
        "--name",
        "x",
        "--channel",
        "c",
        "--staff",
        "wecom_a",
    )
    assert bad.returncode == 2 and "Some fields are not valid: code" in bad.stderr
    unknown = siyu(
        tmp_path, "channel", "code", "qr", "nope", "--out", str(tmp_path / "x.png"), locale="zh-CN"
    )
    assert unknown.returncode == 2 and "nope" in unknown.stderr and "未找到" in unknown.stderr


def test_wecom_commands_say_what_is_missing(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    sync = siyu(tmp_path, "wecom", "sync")
    assert sync.returncode == 2 and "SIYU_WECOM_CORP_ID" in sync.stderr
    zh = siyu(tmp_path, "wecom", "sync", locale="zh-CN")
    assert "尚未配置企业微信" in zh.stderr
    status = siyu(tmp_path, "wecom", "status")
    assert status.returncode == 0, status.stderr
    invites = siyu(tmp_path, "invite", "list", "--budget", "100", "--csv", str(tmp_path / "i.csv"))
    assert invites.returncode == 0, invites.stderr
    assert "0 of 0 buyers outside the pool" in invites.stdout
    assert (tmp_path / "i.csv").read_text(encoding="utf-8-sig").startswith("rank,customer_id")
    for args in (
        ("pool", "moves"),
        ("pool", "alerts"),
        ("pool", "quality"),
        ("groups", "list"),
        ("referral", "campaign", "list"),
    ):
        shown = siyu(tmp_path, *args)
        assert shown.returncode == 0, (args, shown.stderr)
    bad = siyu(tmp_path, "invite", "list", "--budget", "100", "--stage", "old")
    assert bad.returncode == 2 and "new, growing, mature" in bad.stderr
    money = siyu(tmp_path, "invite", "list", "--budget", "一百", locale="zh-CN")
    assert money.returncode == 2 and "不是有效的元金额：“一百”" in money.stderr
