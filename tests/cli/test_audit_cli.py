"""`siyu audit …` in a subprocess: list and export, verify, and tampering caught in the raw
SQLite file; `siyu serve` refusing weak production settings."""

from __future__ import annotations

import getpass
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.cli.test_cli import siyu


def _ok(home: Path, *args: str, locale: str = "en") -> str:
    result = siyu(home, *args, locale=locale)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


def test_commands_are_audited_listed_and_exported(tmp_path: Path) -> None:
    _ok(tmp_path, "init")
    _ok(tmp_path, "user", "create", "lin", "--role", "operator")
    _ok(tmp_path, "user", "password", "lin")
    listed = _ok(tmp_path, "audit", "list", "--action", "user.create")
    assert f"cli:{getpass.getuser()}" in listed and "user.create" in listed and "1 of 1" in listed
    assert "user.password" in _ok(tmp_path, "audit", "list", "--target", "user:1")
    assert "0 of 0" in _ok(tmp_path, "audit", "list", "--since", "2001-01-01", "--until",
                           "2001-01-02")  # fmt: skip
    _ok(tmp_path, "audit", "list", "--csv", "audit.csv")
    text = (tmp_path / "audit.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeffid,at,workspace_id,actor,action")
    assert len(text.splitlines()) == 3  # header + create + password
    bad = siyu(tmp_path, "audit", "list", "--action", "user.delete")
    assert bad.returncode == 2 and "Unknown action 'user.delete'" in bad.stderr
    zh = siyu(tmp_path, "audit", "list", "--target", ":3", locale="zh-CN")
    assert zh.returncode == 2 and "对象的格式" in zh.stderr


def test_verify_passes_then_names_the_changed_entry(tmp_path: Path) -> None:
    _ok(tmp_path, "init")
    for name in ("a1", "a2", "a3"):
        _ok(tmp_path, "user", "create", name, "--role", "analyst")
    verified = _ok(tmp_path, "audit", "verify")
    assert "Audit log intact: 3 entries checked, the newest is #3." in verified
    assert re.search(r"chain head: #3 [0-9a-f]{64}", verified)
    with sqlite3.connect(tmp_path / "siyu.db") as db:  # someone with the file edits a row
        db.execute("DROP TRIGGER audit_entry_no_update")
        db.execute('UPDATE audit_entry SET details = \'{"role": "admin"}\' WHERE id = 2')
    broken = siyu(tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert "Audit log BROKEN at entry #2" in broken.stderr and "changed" in broken.stderr
    chinese = siyu(tmp_path, "audit", "verify", locale="zh-CN")
    assert chinese.returncode == 1 and "位置 #2" in chinese.stderr
    # Each verify run is itself recorded, with what it found.
    runs = _ok(tmp_path, "audit", "list", "--action", "audit.verify")
    assert "ok=True" in runs and "broken_id=2" in runs


def test_verify_catches_a_deleted_newest_entry(tmp_path: Path) -> None:
    _ok(tmp_path, "init")
    _ok(tmp_path, "user", "create", "b1", "--role", "analyst")
    _ok(tmp_path, "user", "create", "b2", "--role", "analyst")
    with sqlite3.connect(tmp_path / "siyu.db") as db:
        db.execute("DROP TRIGGER audit_entry_no_delete")
        db.execute("DELETE FROM audit_entry WHERE id = 2")
    broken = siyu(tmp_path, "audit", "verify")
    assert broken.returncode == 1 and "#2" in broken.stderr and "deleted" in broken.stderr


def test_serve_refuses_production_with_default_secrets(tmp_path: Path) -> None:
    _ok(tmp_path, "init")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env |= {"SIYU_HOME": str(tmp_path), "SIYU_ENVIRONMENT": "production"}
    refused = subprocess.run([sys.executable, "-m", "siyu", "serve"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "SIYU_PII_KEY" in refused.stderr
    assert "Refusing to start" in refused.stderr and "拒绝启动" in refused.stderr
    worker = subprocess.run([sys.executable, "-m", "siyu", "worker", "--once"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert worker.returncode == 2 and "SIYU_PII_KEY" in worker.stderr
