"""Personal data at rest: AES-GCM encryption and an HMAC blind index, under a key ring.

Each 32-byte master key (from SIYU_PII_KEY or a key file, never the database) has a key id
and derives two sub-keys with HKDF: one encrypts, one computes the blind index. The newest
key encrypts and indexes; every key of the ring decrypts what carries its id, and look-ups
compute the index under every key, so a key rotation re-encrypts and re-indexes the store
in batches while readers and writers keep working (see docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siyu.kit.errors import SiyuError

FORMAT_VERSION = 1
NONCE_BYTES = 12
MAX_KEY_ID = 255
RELOAD_EVERY_S = 1.0
"""How often (at most) a ring with a reloader looks for keys added by a rotation."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def generate_key() -> str:
    """Return a fresh master key, base64-encoded."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def decode_key(encoded: str) -> bytes:
    """Decode a base64 master key and check its length."""
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        raise SiyuError("key.invalid") from None
    if len(raw) != 32:
        raise SiyuError("key.invalid")
    return raw


def parse_keys(text: str) -> dict[int, bytes]:
    """Read a key ring: entries `<id>:<base64>` separated by new lines or commas; a bare
    base64 key (the format before rotation) is key 1; lines starting with # are notes."""
    keys: dict[int, bytes] = {}
    for raw in text.replace(",", "\n").splitlines():
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        ident, sep, encoded = entry.partition(":")
        if not sep:
            ident, encoded = "1", entry
        if not ident.strip().isdigit() or not 1 <= int(ident) <= MAX_KEY_ID:
            raise SiyuError("key.invalid")
        keys[int(ident)] = decode_key(encoded)
    if not keys:
        raise SiyuError("key.invalid")
    return keys


def format_keys(keys: Mapping[int, bytes]) -> str:
    """Write a key ring in the format `parse_keys` reads, oldest first."""
    lines = [f"{ident}:{base64.b64encode(keys[ident]).decode('ascii')}" for ident in sorted(keys)]
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def ensure_key_file(path: Path) -> str:
    """Return the key ring stored at `path`, creating it (mode 0600) when absent."""
    if path.exists():
        return path.read_text(encoding="ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = f"1:{generate_key()}\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def add_key(path: Path) -> int:
    """Append a fresh key to the key file (it becomes the current key); return its id."""
    keys = parse_keys(ensure_key_file(path))
    ident = max(keys) + 1
    if ident > MAX_KEY_ID:
        raise SiyuError("key.ring_full")
    keys[ident] = decode_key(generate_key())
    _write_private(path, format_keys(keys))
    return ident


def retire_keys(path: Path, keep: set[int]) -> list[int]:
    """Remove from the key file every key not in `keep` (never the current one)."""
    keys = parse_keys(path.read_text(encoding="ascii"))
    keep = keep | {max(keys)}
    gone = sorted(set(keys) - keep)
    if gone:
        _write_private(path, format_keys({k: v for k, v in keys.items() if k in keep}))
    return gone


@dataclass(frozen=True, slots=True)
class _Key:
    aead: AESGCM
    index_key: bytes


def _key(master: bytes) -> _Key:
    return _Key(
        AESGCM(_derive(master, b"siyu/pii/encrypt/v1")),
        _derive(master, b"siyu/pii/blind-index/v1"),
    )


def key_id_of(blob: bytes) -> int:
    """The id of the key that encrypted a blob."""
    return blob[1]


class PiiCipher:
    """Encrypts personal data and computes its blind index with a ring of master keys.

    The newest key (highest id) encrypts and indexes; any key of the ring decrypts. With a
    `reload` function the ring picks up keys a rotation adds (at most once a second, and at
    once when a blob names a key it does not hold), so a running service follows a rotation.
    """

    def __init__(
        self,
        master_key: bytes | None = None,
        *,
        key_id: int = 1,
        keys: Mapping[int, bytes] | None = None,
        reload: Callable[[], Mapping[int, bytes]] | None = None,
    ) -> None:
        ring = dict(keys or {})
        if master_key is not None:
            ring[key_id] = master_key
        if not ring:
            raise SiyuError("key.invalid")
        self._reload = reload
        self._checked = time.monotonic()
        self._install(ring)

    def _install(self, ring: Mapping[int, bytes]) -> None:
        keyed = {ident: _key(master) for ident, master in ring.items()}
        # one assignment, so a thread never pairs one key's id with another key
        self._active = (keyed, max(keyed), keyed[max(keyed)])

    @property
    def key_id(self) -> int:
        """Id of the current key (the one that encrypts and indexes)."""
        return self._active[1]

    @property
    def _ring(self) -> dict[int, _Key]:
        return self._active[0]

    @property
    def key_ids(self) -> list[int]:
        """Ids of the keys held, newest first."""
        return sorted(self._ring, reverse=True)

    def refresh(self, *, force: bool = False) -> None:
        """Re-read the ring through the reloader (rate-limited unless `force`)."""
        now = time.monotonic()
        if self._reload is None or (not force and now - self._checked < RELOAD_EVERY_S):
            return
        self._checked = now
        ring = self._reload()
        if set(ring) != set(self._ring):
            self._install(ring)

    def encrypt(self, plaintext: str) -> bytes:
        """Encrypt text; the result is version, key id, nonce and ciphertext with its tag."""
        self.refresh()
        nonce = os.urandom(NONCE_BYTES)
        _, ident, key = self._active
        header = bytes((FORMAT_VERSION, ident))
        return header + nonce + key.aead.encrypt(nonce, plaintext.encode("utf-8"), header)

    def decrypt(self, blob: bytes) -> str:
        """Decrypt what `encrypt` produced; raises on tampering or a key not in the ring."""
        header, nonce, body = blob[:2], blob[2 : 2 + NONCE_BYTES], blob[2 + NONCE_BYTES :]
        key = self._ring.get(header[1]) if len(header) == 2 else None
        if key is None and len(header) == 2:
            self.refresh(force=True)
            key = self._ring.get(header[1])
        if key is None:
            raise SiyuError("key.unknown", key_id=header[1] if len(header) == 2 else "?")
        try:
            return key.aead.decrypt(nonce, body, header).decode("utf-8")
        except InvalidTag:
            raise SiyuError("key.tampered") from None

    def blind_index(self, kind: str, normalised: str) -> str:
        """Return the keyed hash (hex) under the current key: what writers store."""
        self.refresh()
        return _index(self._active[2].index_key, kind, normalised)

    def blind_indexes(self, kind: str, normalised: str) -> list[str]:
        """The keyed hash under every key of the ring, current first: what readers look up,
        so rows not yet re-indexed by a rotation are still found."""
        self.refresh()
        ring = self._ring
        return [_index(ring[i].index_key, kind, normalised) for i in sorted(ring, reverse=True)]

    def reencrypt(self, blob: bytes) -> bytes | None:
        """The blob under the current key, or None when it already is."""
        if key_id_of(blob) == self.key_id:
            return None
        return self.encrypt(self.decrypt(blob))


def _index(key: bytes, kind: str, normalised: str) -> str:
    message = f"{kind}\x1f{normalised}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:40]


def mask(value: str) -> str:
    """Mask a personal value for display: 13812345678 -> 138****5678, a@b.cn -> a***@b.cn."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 2) + value[-1:]
    return value[:3] + "****" + value[-4:]
