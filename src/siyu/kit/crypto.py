"""Personal data at rest: AES-GCM encryption and an HMAC blind index for look-ups.

One 32-byte master key (from SIYU_PII_KEY or a key file, never the database) derives
two sub-keys with HKDF: one encrypts, one computes the blind index. Ciphertexts carry a
key id so a later key rotation can re-encrypt without downtime.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from siyu.kit.errors import SiyuError

FORMAT_VERSION = 1
NONCE_BYTES = 12


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def generate_key() -> str:
    """Return a fresh master key, base64-encoded."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


def decode_key(encoded: str) -> bytes:
    """Decode a base64 master key and check its length."""
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except ValueError as exc:
        raise SiyuError("key.invalid") from exc
    if len(raw) != 32:
        raise SiyuError("key.invalid")
    return raw


def ensure_key_file(path: Path) -> str:
    """Return the key stored at `path`, creating it (mode 0600) when absent."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


class PiiCipher:
    """Encrypts personal data and computes its blind index with keys derived from one master."""

    def __init__(self, master_key: bytes, *, key_id: int = 1) -> None:
        self.key_id = key_id
        self._aead = AESGCM(_derive(master_key, b"siyu/pii/encrypt/v1"))
        self._index_key = _derive(master_key, b"siyu/pii/blind-index/v1")

    def encrypt(self, plaintext: str) -> bytes:
        """Encrypt text; the result is version, key id, nonce and ciphertext with its tag."""
        nonce = os.urandom(NONCE_BYTES)
        header = bytes((FORMAT_VERSION, self.key_id))
        return header + nonce + self._aead.encrypt(nonce, plaintext.encode("utf-8"), header)

    def decrypt(self, blob: bytes) -> str:
        """Decrypt what `encrypt` produced; raises on tampering or a wrong key."""
        header, nonce, body = blob[:2], blob[2 : 2 + NONCE_BYTES], blob[2 + NONCE_BYTES :]
        return self._aead.decrypt(nonce, body, header).decode("utf-8")

    def blind_index(self, kind: str, normalised: str) -> str:
        """Return the keyed hash used to look a value up without decrypting (hex)."""
        message = f"{kind}\x1f{normalised}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()[:40]


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
