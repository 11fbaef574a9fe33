"""`siyu report` end to end on the demo brand: terminal tables, files, errors, both languages."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from tests.cli.test_cli import siyu


def test_reports_print_and_write_files(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    assert siyu(tmp_path, "demo", "load", "--orders", "2000", "--seed", "5").returncode == 0
    assert siyu(tmp_path, "run").returncode == 0
    files = {kind: tmp_path / f"month.{kind}" for kind in ("csv", "xlsx", "html", "pdf")}
    options = [arg for kind, path in files.items() for arg in (f"--{kind}", str(path))]
    monthly = siyu(tmp_path, "report", "monthly", "--date", "2026-09-15", *options)
    assert monthly.returncode == 0, monthly.stderr
    out = monthly.stdout
    assert "Monthly report · demo · 2026-09" in out
    for title in ("Overview", "Channel economics", "Purchase funnel", "Value-ladder migration",
                  "Retention by first-purchase month", "Product roles"):  # fmt: skip
        assert title in out
    assert "total" in out  # the time of each family of figures
    for path in files.values():
        assert path.stat().st_size > 1_000, path
    with files["csv"].open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert {r["section"] for r in rows} >= {"overview", "channels", "funnel", "ladder"}
    assert next(r for r in rows if r["column"] == "period")["value"] == "2026-09"
    codes = {r["value"] for r in rows if r["section"] == "channels" and r["column"] == "code"}
    assert {"red_envelope_card", "cs_invite"} <= codes
    log = (tmp_path / "logs" / "siyu.log").read_text(encoding="utf-8")
    assert "report figures channels done in" in log

    chinese = siyu(tmp_path, "report", "annual", locale="zh-CN")
    assert chinese.returncode == 0, chinese.stderr
    assert "私域年报 · demo · 2026" in chinese.stdout and "渠道经济" in chinese.stdout
    daily = siyu(tmp_path, "report", "daily")
    assert daily.returncode == 0 and "Daily report · demo · 2026-10-31" in daily.stdout
    # every report is stored for the console, in both languages, with money in fen
    stored = tmp_path / "figures" / "demo"
    assert sorted(p.name for p in (stored / "month").iterdir()) == ["2026-09.json", "latest.json"]
    assert (stored / "year" / "2026.json").exists() and (
        stored / "day" / "2026-10-31.json"
    ).exists()
    month = json.loads((stored / "month" / "latest.json").read_text(encoding="utf-8"))
    assert month["period"] == "2026-09" and set(month["tables"]) == {"zh-CN", "en"}
    gmv = next(r for r in rows if r["section"] == "overview" and r["column"] == "gmv")["value"]
    overview = next(t for t in month["tables"]["en"] if t["key"] == "overview")
    assert overview["rows"][0][1] == round(Decimal(gmv) * 100)  # the same GMV, in fen


def test_run_with_figures_stores_every_grain(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    assert siyu(tmp_path, "demo", "load", "--orders", "1000", "--seed", "3").returncode == 0
    done = siyu(tmp_path, "run", "--figures")
    assert done.returncode == 0, done.stderr
    assert "figures stored for the console: 2026-10-31, 2026-10, 2026" in done.stdout
    for grain in ("day", "month", "year"):
        assert (tmp_path / "figures" / "demo" / grain / "latest.json").exists()


def test_report_errors_are_one_clear_message(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    bad = siyu(tmp_path, "report", "daily", "--date", "yesterday")
    assert bad.returncode == 2 and "Cannot read the date 'yesterday'" in bad.stderr
    bad_zh = siyu(tmp_path, "report", "daily", "--date", "2026-13-01", locale="zh-CN")
    assert bad_zh.returncode == 2 and "无法识别日期" in bad_zh.stderr
    empty = siyu(tmp_path, "report", "monthly", "--html", str(tmp_path / "none" / "r.html"))
    assert empty.returncode == 2 and "Cannot write" in empty.stderr
    assert "Traceback" not in bad.stderr + bad_zh.stderr + empty.stderr
