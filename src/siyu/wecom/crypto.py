"""WeCom callback crypto, as WeCom's official SDK (WXBizMsgCrypt) does it.

* Signature: SHA1 of the sorted, concatenated token, timestamp, nonce and ciphertext (hex).
* Key: base64 of EncodingAESKey + "=" (43 characters → 32 bytes); IV = the key's first 16 bytes.
* Plaintext: 16 random bytes + message length (4 bytes, network order) + message + receive
  id (the corp id), PKCS#7-padded to a multiple of 32 bytes, AES-256-CBC, then base64.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from siyu.config import Settings
from siyu.kit.errors import SiyuError

BLOCK = 32  # the SDK pads to 32 bytes, not AES's 16
MAX_BODY_BYTES = 256 * 1024


class WeComCryptoError(SiyuError):
    """A callback that fails the signature check or cannot be decrypted; nothing is stored.

    `code` is the official SDK's error code (-40001 signature, -40002 XML, -40004 AES key,
    -40005 receive id, -40007 decryption, -40008 buffer).
    """

    status_code = 403
    key = "wecom.signature_invalid"

    def __init__(self, key: str, code: int, **params: object) -> None:
        super().__init__(key, **params)
        self.code = code


@dataclass(frozen=True, slots=True)
class EncryptedMessage:
    """An encrypted message with what WeCom sends beside it."""

    encrypt: str
    signature: str
    timestamp: str
    nonce: str

    def to_xml(self) -> str:
        """The passive-reply XML the SDK's EncryptMsg produces."""
        return (
            f"<xml><Encrypt><![CDATA[{self.encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{self.signature}]]></MsgSignature>"
            f"<TimeStamp>{self.timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{self.nonce}]]></Nonce></xml>"
        )


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """Return WeCom's message signature: SHA1 over the four values sorted and joined."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypt))).encode()).hexdigest()


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """Decode a 43-character EncodingAESKey to the 32-byte AES key."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise WeComCryptoError("wecom.aes_key_invalid", -40004) from None
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise WeComCryptoError("wecom.aes_key_invalid", -40004)
    return key


def parse_xml(body: bytes | str) -> ET.Element:
    """Parse a callback XML body; refuse DTDs and oversized bodies (WeCom sends neither)."""
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_BODY_BYTES or b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise WeComCryptoError("wecom.body_malformed", -40002)
    try:
        return ET.fromstring(raw)
    except ET.ParseError:
        raise WeComCryptoError("wecom.body_malformed", -40002) from None


def extract_encrypt(body: bytes | str) -> str:
    """Return the <Encrypt> text of a callback body."""
    node = parse_xml(body).find("Encrypt")
    if node is None or not (node.text or "").strip():
        raise WeComCryptoError("wecom.body_malformed", -40002)
    return (node.text or "").strip()


class WeComCrypto:
    """Signs, verifies, encrypts and decrypts callback messages of one corp (or app)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        self.token = token
        self.key = decode_aes_key(encoding_aes_key)
        self.receive_id = receive_id

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        """Return the signature of a ciphertext."""
        return signature(self.token, timestamp, nonce, encrypt)

    def check_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Raise WeComCryptoError (-40001) unless the signature matches."""
        expected = self.sign(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected, msg_signature.lower()):
            raise WeComCryptoError("wecom.signature_invalid", -40001)

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """Answer WeCom's URL check: verify, decrypt and return the echo string."""
        self.check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr).decode("utf-8")

    def decrypt_message(
        self, body: bytes | str, msg_signature: str, timestamp: str, nonce: str
    ) -> bytes:
        """Verify a POSTed callback body and return the decrypted message (XML bytes)."""
        encrypt = extract_encrypt(body)
        self.check_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def decrypt(self, encrypt: str) -> bytes:
        """Decrypt a base64 ciphertext and check its receive id; return the message."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise WeComCryptoError("wecom.decrypt_failed", -40007) from None
        if not data or len(data) % 16:
            raise WeComCryptoError("wecom.decrypt_failed", -40007)
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        content = _unpad(plain)[16:]
        if len(content) < 4:
            raise WeComCryptoError("wecom.decrypt_failed", -40008)
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise WeComCryptoError("wecom.decrypt_failed", -40008)
        message, receive_id = content[4 : 4 + length], content[4 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode()):
            raise WeComCryptoError("wecom.receiver_mismatch", -40005)
        return message

    def encrypt(self, message: bytes | str, *, random16: bytes | None = None) -> str:
        """Encrypt a message as WeCom does; return base64."""
        text = message.encode() if isinstance(message, str) else message
        prefix = random16 if random16 is not None else os.urandom(16)
        if len(prefix) != 16:
            raise ValueError("random prefix must be 16 bytes")
        plain = _pad(prefix + struct.pack(">I", len(text)) + text + self.receive_id.encode())
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def encrypt_message(
        self, message: bytes | str, *, timestamp: str, nonce: str, random16: bytes | None = None
    ) -> EncryptedMessage:
        """Encrypt and sign a message (the SDK's EncryptMsg)."""
        encrypt = self.encrypt(message, random16=random16)
        return EncryptedMessage(encrypt, self.sign(timestamp, nonce, encrypt), timestamp, nonce)


def _pad(data: bytes) -> bytes:
    amount = BLOCK - len(data) % BLOCK
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    amount = data[-1]
    if not 1 <= amount <= BLOCK or data[-amount:] != bytes([amount]) * amount:
        raise WeComCryptoError("wecom.decrypt_failed", -40008)
    return data[:-amount]


def crypto_from_settings(config: Settings) -> WeComCrypto:
    """The callback crypto from SIYU_WECOM_TOKEN, _ENCODING_AES_KEY and _CORP_ID."""
    required = (
        ("SIYU_WECOM_CORP_ID", config.wecom_corp_id),
        ("SIYU_WECOM_TOKEN", config.wecom_token),
        ("SIYU_WECOM_ENCODING_AES_KEY", config.wecom_encoding_aes_key),
    )
    missing = [name for name, value in required if not value]
    if missing:
        raise SiyuError("wecom.not_configured", names=", ".join(missing))
    assert config.wecom_token is not None and config.wecom_encoding_aes_key is not None
    return WeComCrypto(
        config.wecom_token.get_secret_value(),
        config.wecom_encoding_aes_key.get_secret_value(),
        config.wecom_corp_id,
    )
