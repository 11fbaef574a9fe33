"""Stored figures without a server: tables to JSON, families, and the files on disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from siyu.analytics.cohorts import LadderMigration
from siyu.figures import repository, rules
from siyu.reports.schemas import Column, Section


def _section() -> Section:
    columns = (Column("name", "Name", "名称", "text"), Column("cost", "Cost", "成本", "fen"),
               Column("share", "Share", "占比", "share"))  # fmt: skip
    rows = (("a", 1234.6, 0.25), ("b", None, float("nan")))
    return Section("t", "Table", "表", columns, rows, note_en="n", note_zh="注")


def test_money_becomes_integer_fen_and_nan_null() -> None:
    assert rules.json_cell(1234.6, "fen") == 1235
    assert isinstance(rules.json_cell(1234.6, "fen"), int)
    assert rules.json_cell(float("nan"), "share") is None
    assert rules.json_cell(0.25, "share") == 0.25
    assert rules.json_cell("¥", "text") == "¥"


def test_a_section_in_both_languages() -> None:
    found = rules.sections_json({"zh-CN": [_section()], "en": [_section()]})
    zh, en = found["zh-CN"][0], found["en"][0]
    assert (zh["title"], en["title"], zh["note"], en["note"]) == ("表", "Table", "注", "n")
    assert [c["label"] for c in zh["columns"]] == ["名称", "成本", "占比"]
    assert en["rows"] == [["a", 1235, 0.25], ["b", None, None]]
    json.dumps(found, allow_nan=False)  # strict JSON: no NaN survives
    assert rules.column(en, "cost") == [1235, None]


def test_every_report_table_has_one_family() -> None:
    keys = [k for keys in rules.FAMILY_TABLES.values() for k in keys]
    assert len(keys) == len(set(keys))
    assert rules.family_of("cohorts_pool_revenue") == "cohorts"
    assert rules.family_of("nope") is None


def test_ladder_sections_count_moves() -> None:
    matrix = np.zeros((6, 6), dtype=np.int64)
    matrix[0, 2], matrix[3, 2], matrix[2, 2] = 4, 1, 7  # 4 up, 1 down, 7 stayed
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    migration = LadderMigration(start, end, matrix, pool_start=5, pool_end=6, left_pool=1,
                                joined_pool=2)  # fmt: skip
    moves = rules.ladder_sections(migration, "en")[1]
    assert (moves.value(0, "moved_up"), moves.value(0, "moved_down"),
            moves.value(0, "stayed")) == (4, 1, 7)  # fmt: skip


def test_documents_are_stored_whole_and_listed(tmp_path: Path) -> None:
    assert repository.load(tmp_path, "demo", "month") is None
    repository.save(tmp_path, "demo", "month", "2026-09", {"period": "2026-09"})
    repository.save(tmp_path, "demo", "month", "2026-10", {"period": "2026-10"})
    assert repository.load(tmp_path, "demo", "month") == {"period": "2026-10"}
    assert repository.load(tmp_path, "demo", "month", "2026-09") == {"period": "2026-09"}
    assert repository.names(tmp_path, "demo", "month") == ["2026-10", "2026-09"]
    assert repository.load(tmp_path, "other", "month") is None  # workspaces apart
    folder = repository.folder(tmp_path, "demo") / "month"
    assert not [p for p in folder.iterdir() if p.name.startswith(".figures-")]  # no temporaries


def test_a_failed_write_leaves_the_last_document(tmp_path: Path) -> None:
    repository.save(tmp_path, "demo", "day", "2026-10-30", {"period": "2026-10-30"})
    with pytest.raises(ValueError):
        repository.save(tmp_path, "demo", "day", "2026-10-31", {"bad": float("nan")})
    assert repository.load(tmp_path, "demo", "day") == {"period": "2026-10-30"}
    folder = repository.folder(tmp_path, "demo") / "day"
    assert sorted(p.name for p in folder.iterdir()) == ["2026-10-30.json", "latest.json"]
