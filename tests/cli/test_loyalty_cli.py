"""`siyu loyalty …` end to end in a subprocess: the programme file, posting commands with keys,
bad input that changes nothing, statements and the audit."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import yaml

from siyu.demo.loyalty import DEMO_PROGRAM
from siyu.loyalty.schemas import ProgramConfig
from tests.cli.test_cli import siyu
from tests.fixtures.exports import write_taobao_csv
from tests.pgserver import PostgresServer

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "loyalty-program.example.yaml"


def test_the_example_programme_is_the_demo_brands() -> None:
    config = ProgramConfig.model_validate(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    assert config == DEMO_PROGRAM


def _ok(home: Path, *args: str, url: str = "") -> str:
    result = siyu(home, *args, url=url)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def _refused(home: Path, *args: str, url: str = "", locale: str = "en") -> str:
    result = siyu(home, *args, url=url, locale=locale)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    return result.stderr


def _setup(home: Path, url: str = "") -> None:
    _ok(home, "init", url=url)
    _ok(home, "import", "orders", str(write_taobao_csv(home)), url=url)
    assert "tiers 4" in _ok(home, "loyalty", "program", "apply", str(EXAMPLE), url=url)


def test_loyalty_commands_on_sqlite(tmp_path: Path) -> None:
    _setup(tmp_path)
    assert "¥500.00" in (top := _ok(tmp_path, "loyalty", "top-up", "1", "500", "--key", "t1"))
    assert "¥50.00" in top  # the 500 -> 50 bonus
    again = _ok(tmp_path, "loyalty", "top-up", "1", "500", "--key", "t1")
    assert "Already posted" in again and "nothing changed" in again
    assert "different request" in _refused(tmp_path, "loyalty", "top-up", "1", "600", "--key", "t1")
    assert "whole number" in _refused(tmp_path, "loyalty", "spend", "1", "12.345", "--key", "s1")
    assert "greater than zero" in _refused(tmp_path, "loyalty", "spend", "1", "0", "--key", "s1")
    assert "Not enough stored value" in _refused(
        tmp_path, "loyalty", "spend", "1", "551", "--key", "s1"
    )
    assert "No customer #999" in _refused(tmp_path, "loyalty", "earn", "999", "10", "--key", "e")
    assert "未记账" in _refused(
        tmp_path, "loyalty", "earn", "999", "10", "--key", "e", locale="zh-CN"
    )
    _ok(tmp_path, "loyalty", "spend", "1", "12.30", "--key", "s1", "--reference", "A-1")
    assert "orders credited" in _ok(tmp_path, "loyalty", "earn-orders")
    _ok(tmp_path, "loyalty", "earn-action", "1", "join_pool", "--key", "j1")
    bought = _ok(tmp_path, "loyalty", "card", "buy", "1", "plus", "--key", "c1")
    card = re.search(r"#(\d+) plus", bought)
    assert card is not None
    assert "cancelled" in _ok(tmp_path, "loyalty", "card", "cancel", card[1], "--key", "x1")
    assert "already cancelled" in _refused(
        tmp_path, "loyalty", "card", "cancel", card[1], "--key", "x2"
    )
    _ok(tmp_path, "loyalty", "tiers", "evaluate")
    _ok(tmp_path, "loyalty", "expire")
    shown = _ok(tmp_path, "loyalty", "balance", "1")
    assert "¥500.00" in shown and "¥37.70" in shown  # the 12.30 spend drew the bonus first
    statement = _ok(tmp_path, "loyalty", "statement", "1")
    assert "topup" in statement and "spend" in statement and "earn" in statement
    audited = _ok(tmp_path, "loyalty", "audit")
    assert "audit passed" in audited
    # Hand postings are audited once each (the replayed top-up changed nothing: no entry).
    _ok(tmp_path, "audit", "list", "--action", "loyalty.adjust", "--csv", "adjust.csv")
    lines = (tmp_path / "adjust.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    commands = sorted(re.search(r"command=([\w-]+)", line)[1] for line in lines)  # type: ignore[index]
    assert commands == ["card-buy", "card-cancel", "earn-action", "spend", "top-up"]
    assert "loyalty.audit" in _ok(tmp_path, "audit", "list", "--action", "loyalty.audit")


@pytest.mark.postgres
def test_loyalty_commands_on_postgresql(tmp_path: Path, pg_server: PostgresServer) -> None:
    url = pg_server.create_database(f"loyalty_cli_{uuid.uuid4().hex[:8]}")
    _setup(tmp_path, url)
    _ok(tmp_path, "loyalty", "top-up", "1", "1000", "--key", "t1", url=url)
    _ok(tmp_path, "loyalty", "spend", "1", "99.90", "--key", "s1", url=url)
    _ok(tmp_path, "loyalty", "refund-spend", "s1", "9.90", "--key", "rs1", url=url)
    refund = _ok(tmp_path, "loyalty", "refund-top-up", "t1", "--key", "rt1", url=url)
    assert "brand:sv_funding" in refund
    assert "audit passed" in _ok(tmp_path, "loyalty", "audit", url=url)
