"""The key ring: the newest key writes, every key reads, look-ups under every key."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from siyu.kit.crypto import (
    PiiCipher,
    add_key,
    decode_key,
    ensure_key_file,
    generate_key,
    key_id_of,
    parse_keys,
    retire_keys,
)
from siyu.kit.errors import SiyuError


def _key() -> bytes:
    return decode_key(generate_key())


def test_the_newest_key_writes_and_every_key_reads() -> None:
    old, new = _key(), _key()
    before = PiiCipher(old)
    blob = before.encrypt("13812345678")
    ring = PiiCipher(keys={1: old, 2: new})
    assert ring.key_id == 2 and ring.key_ids == [2, 1]
    assert ring.decrypt(blob) == "13812345678"
    fresh = ring.encrypt("13812345678")
    assert key_id_of(blob) == 1 and key_id_of(fresh) == 2
    moved = ring.reencrypt(blob)
    assert moved is not None and key_id_of(moved) == 2 and ring.decrypt(moved) == "13812345678"
    assert ring.reencrypt(fresh) is None
    # look-ups find rows indexed under either key; writers index under the newest
    assert ring.blind_indexes("phone/", "13812345678") == [
        ring.blind_index("phone/", "13812345678"),
        before.blind_index("phone/", "13812345678"),
    ]
    assert ring.blind_index("phone/", "1") != before.blind_index("phone/", "1")


def test_unknown_or_tampered_blobs_are_clear_errors_without_key_material() -> None:
    old, new = _key(), _key()
    blob = PiiCipher(keys={1: old, 2: new}).encrypt("林小青")
    with pytest.raises(SiyuError) as unknown:
        PiiCipher(old).decrypt(blob)
    assert unknown.value.key == "key.unknown" and "2" in unknown.value.message("en")
    assert "密钥 2" in unknown.value.message("zh-CN")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(SiyuError) as bad:
        PiiCipher(keys={1: old, 2: new}).decrypt(tampered)
    assert bad.value.key == "key.tampered"
    for error in (unknown.value, bad.value):
        for text in (str(error), error.message("zh-CN"), repr(error.params)):
            for secret in (old, new):
                assert base64.b64encode(secret).decode() not in text
                assert secret.hex() not in text


def test_key_file_grows_by_rotation_and_a_running_ring_follows(tmp_path: Path) -> None:
    path = tmp_path / "pii.key"
    first = parse_keys(ensure_key_file(path))
    assert list(first) == [1] and (path.stat().st_mode & 0o777) == 0o600
    running = PiiCipher(keys=first, reload=lambda: parse_keys(path.read_text()))
    old_blob = running.encrypt("a@b.cn")
    assert add_key(path) == 2 and (path.stat().st_mode & 0o777) == 0o600
    assert key_id_of(PiiCipher(keys=parse_keys(path.read_text())).encrypt("x")) == 2
    # a blob under a key the process has not loaded yet makes it re-read the ring at once
    newer = PiiCipher(keys=parse_keys(path.read_text())).encrypt("new value")
    assert running.decrypt(newer) == "new value" and running.key_id == 2
    assert running.decrypt(old_blob) == "a@b.cn"
    assert retire_keys(path, keep={2}) == [1]
    assert list(parse_keys(path.read_text())) == [2]


def test_legacy_single_key_files_are_key_one_and_bad_rings_are_refused() -> None:
    raw = generate_key()
    assert parse_keys(raw + "\n") == {1: decode_key(raw)}
    assert set(parse_keys(f"# rotated\n1:{raw},3:{generate_key()}")) == {1, 3}
    for bad in ("", "0:" + raw, "x:" + raw, "2:" + raw[:-4]):
        with pytest.raises(SiyuError) as error:
            parse_keys(bad)
        assert error.value.key == "key.invalid"
