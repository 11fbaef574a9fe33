"""`siyu recommend` end to end, in a subprocess, on SQLite."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import siyu


def test_recommend_publishes_then_shows_one_customer(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    empty = siyu(tmp_path, "recommend", "--customer", "1")
    assert empty.returncode == 2 and "does not exist" in empty.stderr
    loaded = siyu(tmp_path, "demo", "load", "--orders", "1500", "--seed", "4")
    assert loaded.returncode == 0, loaded.stderr
    before = siyu(tmp_path, "recommend", "--customer", "1", locale="zh-CN")
    assert before.returncode == 2 and "请先运行 `siyu recommend`" in before.stderr
    published = siyu(tmp_path, "recommend", "--top", "3")
    assert published.returncode == 0, published.stderr
    assert "recommendations published for" in published.stdout
    assert "after the trial" in published.stdout and "bought together" in published.stdout
    log = (tmp_path / "logs" / "siyu.log").read_text(encoding="utf-8")
    assert "recommend step fit done in" in log
    shown = siyu(tmp_path, "recommend", "--customer", "1", locale="zh-CN")
    assert shown.returncode == 0, shown.stderr
    assert "客户 1 的推荐商品" in shown.stdout and "SG-" in shown.stdout
    assert "Traceback" not in shown.stderr + published.stderr
