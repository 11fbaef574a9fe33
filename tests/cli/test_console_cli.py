"""Console commands: users, the demo admin, and `siyu serve` answering on its port."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.cli.test_cli import siyu


def test_users_are_created_listed_and_given_passwords(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    made = siyu(tmp_path, "user", "create", "lin", "--role", "operator")
    assert made.returncode == 0, made.stderr
    assert re.search(r"password: \S{16}", made.stdout)
    taken = siyu(tmp_path, "user", "create", "lin", "--role", "analyst")
    assert taken.returncode == 2 and "is taken" in taken.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env |= {"SIYU_HOME": str(tmp_path), "SIYU_LOCALE": "en"}
    short = subprocess.run(
        [sys.executable, "-m", "siyu", "user", "create", "li", "--role", "read_only",
         "--password-stdin"], input="short\n", env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    listed = siyu(tmp_path, "user", "list")
    assert "lin" in listed.stdout and "operator" in listed.stdout
    reset = siyu(tmp_path, "user", "password", "lin")
    assert reset.returncode == 0 and "password:" in reset.stdout
    assert siyu(tmp_path, "user", "password", "nobody").returncode == 2


def test_demo_admin_prints_the_log_in_in_chinese(tmp_path: Path) -> None:
    assert siyu(tmp_path, "init").returncode == 0
    first = siyu(tmp_path, "demo", "admin", locale="zh-CN")
    assert first.returncode == 0, first.stderr
    assert "admin" in first.stdout and "http://127.0.0.1:8000/" in first.stdout
    assert "密码" in first.stdout
    second = siyu(tmp_path, "demo", "admin")
    password = re.search(r"password\s*│\s*(\S+)", second.stdout)
    assert password is not None and password.group(1) not in first.stdout  # a new one each run


def test_serve_refuses_a_missing_store_then_serves(tmp_path: Path) -> None:
    missing = siyu(tmp_path, "serve")
    assert missing.returncode == 2 and "siyu init" in missing.stderr
    assert siyu(tmp_path, "init").returncode == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env |= {"SIYU_HOME": str(tmp_path), "SIYU_PORT": str(port), "COLUMNS": "200"}
    server = subprocess.Popen([sys.executable, "-m", "siyu", "serve"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health") as reply:
                    assert b'"ok"' in reply.read()
                break
            except OSError:
                assert server.poll() is None
                time.sleep(0.1)
        else:
            raise AssertionError("siyu serve did not answer")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output
