"""The command line end to end, in a subprocess, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.fixtures.exports import write_taobao_csv, write_with_bad_rows
from tests.pgserver import PostgresServer


def siyu(
    home: Path, *args: str, url: str = "", locale: str = "en"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env |= {"SIYU_HOME": str(home), "SIYU_LOCALE": locale, "COLUMNS": "200"}
    if url:
        env["SIYU_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "siyu", *args], env=env, cwd=home, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip


def test_commands_refuse_a_missing_store_in_both_languages(tmp_path: Path) -> None:
    english = siyu(tmp_path, "import", "orders", "x.csv")
    assert english.returncode == 2
    assert "siyu init" in english.stderr and "No siyu store" in english.stderr
    chinese = siyu(tmp_path, "customer", "show", "1", locale="zh-CN")
    assert chinese.returncode == 2 and "请先运行" in chinese.stderr
    assert not (tmp_path / "siyu.db").exists()


def _init_and_import(home: Path, url: str = "") -> None:
    init = siyu(home, "init", url=url)
    assert init.returncode == 0, init.stderr
    assert "Store ready" in init.stdout
    export = write_taobao_csv(home)
    first = siyu(home, "import", "orders", str(export), url=url)
    assert first.returncode == 0, first.stderr
    assert "5 rows accepted, 0 rejected; 5 orders created" in first.stdout
    again = siyu(home, "import", "orders", str(export), url=url)
    assert "0 orders created, 0 updated, 5 unchanged" in again.stdout
    (home / "bad").mkdir()
    bad, expected = write_with_bad_rows(home / "bad", preset="taobao")
    rejected = siyu(home, "import", "orders", str(bad), "--preset", "taobao", url=url)
    assert rejected.returncode == 0, rejected.stderr
    assert f"{len(expected)} rejected" in rejected.stdout
    assert "rejects →" in rejected.stdout
    shown = siyu(home, "customer", "show", "1", url=url)
    assert shown.returncode == 0, shown.stderr
    assert "****" in shown.stdout and "19900001111" not in shown.stdout


def test_init_import_and_show_on_sqlite(tmp_path: Path) -> None:
    _init_and_import(tmp_path)


@pytest.mark.postgres
def test_init_import_and_show_on_postgresql(tmp_path: Path, pg_server: PostgresServer) -> None:
    _init_and_import(tmp_path, pg_server.create_database(f"cli_{uuid.uuid4().hex[:8]}"))


def test_unreadable_file_is_one_clear_message(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = siyu(tmp_path, "import", "orders", str(empty))
    assert result.returncode == 2
    assert "Cannot read empty.csv" in result.stderr and "Nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_loads_once_and_says_what_and_where(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    loaded = siyu(tmp_path, "demo", "load", "--orders", "2000", "--seed", "3")
    assert loaded.returncode == 0, loaded.stderr
    assert "orders" in loaded.stdout and "sqlite:///" in loaded.stdout
    assert (tmp_path / "demo-truth-3.npz").exists()
    again = siyu(tmp_path, "demo", "load", "--orders", "2000")
    assert again.returncode == 0 and "already holds orders" in again.stdout
    ran = siyu(tmp_path, "run")
    assert ran.returncode == 0, ran.stderr
    assert "profiles published" in ran.stdout and "Repeat" in ran.stdout
    assert (tmp_path / "warehouse" / "demo" / "manifest.json").exists()
    log = (tmp_path / "logs" / "siyu.log").read_text(encoding="utf-8")
    for step in ("snapshot", "features", "segments", "value", "publish"):
        assert f"pipeline step {step} done in" in log
    checked = siyu(tmp_path, "check-models", "--holdout-days", "120")
    assert checked.returncode == 0, checked.stderr
    assert "pareto_nbd *" in checked.stdout and "bg_nbd" in checked.stdout


def test_unreachable_store_is_one_clear_message_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://siyu:hunter2@127.0.0.1:1/nowhere"
    for command in (["init"], ["import", "orders", "x.csv"]):
        result = siyu(tmp_path, *command, url=url)
        assert result.returncode == 2
        assert "Cannot reach the store" in result.stderr
        assert "hunter2" not in result.stderr + result.stdout
        assert "Traceback" not in result.stderr


def test_a_bad_setting_is_one_clear_message(tmp_path: Path) -> None:
    env_home = tmp_path
    result = subprocess.run(
        [sys.executable, "-m", "siyu", "run"], cwd=env_home, capture_output=True, text=True,
        env={**os.environ, "SIYU_HOME": str(env_home), "SIYU_ANALYTICS_ENGINE": "hadoop"},
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "SIYU_ANALYTICS_ENGINE" in result.stderr and "Traceback" not in result.stderr
