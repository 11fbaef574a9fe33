"""Rate-limit buckets and upload checks without a server."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from siyu.imports.readers import UnsafeFileError, check_file, read_table
from siyu.kit.errors import ImportFileError
from siyu.web.hardening import TokenBuckets


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_one_token_per_period() -> None:
    clock = Clock()
    buckets = TokenBuckets(6, clock=clock)  # 6 a minute: one every 10 s
    assert [buckets.take("a") for _ in range(6)] == [0.0] * 6
    assert buckets.take("a") == pytest.approx(10.0)
    assert buckets.take("b") == 0.0  # every key has its own bucket
    clock.now += 5
    assert buckets.take("a") == pytest.approx(5.0)
    clock.now += 5
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0


def test_a_zip_bomb_is_judged_from_its_directory(tmp_path: Path) -> None:
    bomb = tmp_path / "big.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (32 * 2**20))
    with pytest.raises(UnsafeFileError) as caught:
        read_table(bomb)  # the CLI import path is guarded too
    assert caught.value.key == "upload.zip_bomb"


def test_names_and_contents_must_agree(tmp_path: Path) -> None:
    text = tmp_path / "orders.xlsx"
    text.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(UnsafeFileError, match="no XLSX"):
        check_file(text)
    fine = tmp_path / "orders.csv"
    fine.write_text("a,b\n1,2\n", encoding="utf-8")
    check_file(fine)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileError, match="not a readable XLSX"):
        check_file(broken)
