"""WeCom callback crypto against the examples published with WeCom's official SDK.

The vectors below are the sample values of the official callback SDK's Python demo,
`callback/Sample.py` in github.com/sbzhu/weworkapi_python (the WeCom team's published
weworkapi SDK; its C++/Go/PHP/Java samples use the same corp): Token, EncodingAESKey and
corp id, the URL-verification request (example one) and the encrypted POST body (example
two), whose plaintext is a text message "你好" from ChenJiaShun.
"""

from __future__ import annotations

import base64

import pytest

from siyu.wecom.crypto import (
    WeComCrypto,
    WeComCryptoError,
    decode_aes_key,
    extract_encrypt,
    parse_xml,
    signature,
)

# --- from sbzhu/weworkapi_python, callback/Sample.py -----------------------------------------
TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"
VERIFY_SIGNATURE = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
VERIFY_TIMESTAMP = "1476416373"
VERIFY_NONCE = "47744683"
VERIFY_ECHOSTR = (
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
)
POST_SIGNATURE = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
POST_TIMESTAMP = "1476422779"
POST_NONCE = "1597212914"
POST_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTk"
    "AgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJ"
    "PQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7M"
    "hmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAy"
    "h+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)
POST_BODY = (
    f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>\n"
    f"<Encrypt><![CDATA[{POST_ENCRYPT}]]></Encrypt>\n"
    "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def crypto() -> WeComCrypto:
    return WeComCrypto(TOKEN, AES_KEY, CORP_ID)


def test_signatures_of_the_sdk_samples() -> None:
    assert signature(TOKEN, VERIFY_TIMESTAMP, VERIFY_NONCE, VERIFY_ECHOSTR) == VERIFY_SIGNATURE
    assert signature(TOKEN, POST_TIMESTAMP, POST_NONCE, POST_ENCRYPT) == POST_SIGNATURE


def test_url_verification_sample_decrypts_to_the_echo(crypto: WeComCrypto) -> None:
    echo = crypto.verify_url(VERIFY_SIGNATURE, VERIFY_TIMESTAMP, VERIFY_NONCE, VERIFY_ECHOSTR)
    assert echo == "1288432023552776189"


def test_post_sample_decrypts_to_the_text_message(crypto: WeComCrypto) -> None:
    message = crypto.decrypt_message(POST_BODY, POST_SIGNATURE, POST_TIMESTAMP, POST_NONCE)
    root = parse_xml(message)
    assert root.findtext("ToUserName") == CORP_ID
    assert root.findtext("FromUserName") == "ChenJiaShun"
    assert root.findtext("MsgType") == "text"
    assert root.findtext("Content") == "你好"
    assert root.findtext("AgentID") == "1000002"


def test_encrypt_round_trips_and_matches_the_sdk_layout(crypto: WeComCrypto) -> None:
    message = "<xml><Content>测试一下中文，长度按字节算</Content></xml>"
    sealed = crypto.encrypt_message(
        message, timestamp="1476422779", nonce="1597212914", random16=b"0123456789abcdef"
    )
    assert sealed.signature == signature(TOKEN, "1476422779", "1597212914", sealed.encrypt)
    raw = base64.b64decode(sealed.encrypt)
    assert len(raw) % 32 == 0
    body = sealed.to_xml()
    assert extract_encrypt(body) == sealed.encrypt
    assert crypto.decrypt_message(body, sealed.signature, "1476422779", "1597212914") == (
        message.encode()
    )
    # Deterministic given the random prefix, like the SDK given its random string.
    again = crypto.encrypt(message, random16=b"0123456789abcdef")
    assert again == sealed.encrypt


@pytest.mark.parametrize("length", range(0, 70))
def test_every_padding_length_round_trips(crypto: WeComCrypto, length: int) -> None:
    message = b"x" * length
    assert crypto.decrypt(crypto.encrypt(message)) == message


def test_a_wrong_signature_is_refused(crypto: WeComCrypto) -> None:
    with pytest.raises(WeComCryptoError) as refused:
        crypto.decrypt_message(POST_BODY, "0" * 40, POST_TIMESTAMP, POST_NONCE)
    assert refused.value.code == -40001 and refused.value.status_code == 403
    with pytest.raises(WeComCryptoError):  # same signature, other nonce
        crypto.decrypt_message(POST_BODY, POST_SIGNATURE, POST_TIMESTAMP, "1597212915")


def test_another_corp_is_refused() -> None:
    other = WeComCrypto(TOKEN, AES_KEY, "ww0000000000000000")
    with pytest.raises(WeComCryptoError) as refused:
        other.decrypt_message(POST_BODY, POST_SIGNATURE, POST_TIMESTAMP, POST_NONCE)
    assert refused.value.code == -40005


def test_another_key_cannot_decrypt() -> None:
    other_key = base64.b64encode(bytes(range(32))).decode()[:43]
    other = WeComCrypto(TOKEN, other_key, CORP_ID)
    with pytest.raises(WeComCryptoError) as refused:
        other.decrypt_message(POST_BODY, POST_SIGNATURE, POST_TIMESTAMP, POST_NONCE)
    assert refused.value.code in (-40007, -40008, -40005)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<xml><ToUserName>x</ToUserName></xml>",
        b"<xml><Encrypt></Encrypt></xml>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
        b"<xml><Encrypt>" + b"A" * 300_000 + b"</Encrypt></xml>",
    ],
)
def test_malformed_bodies_are_refused(crypto: WeComCrypto, body: bytes) -> None:
    with pytest.raises(WeComCryptoError) as refused:
        crypto.decrypt_message(body, POST_SIGNATURE, POST_TIMESTAMP, POST_NONCE)
    assert refused.value.code == -40002
    assert "not a WeCom callback" in refused.value.message("en")


@pytest.mark.parametrize("encrypt", ["%%%notbase64", "QUJD", base64.b64encode(b"x" * 32).decode()])
def test_garbage_ciphertexts_are_refused(crypto: WeComCrypto, encrypt: str) -> None:
    with pytest.raises(WeComCryptoError):
        crypto.decrypt(encrypt)


@pytest.mark.parametrize("key", ["short", AES_KEY + "A", "!" * 43])
def test_bad_encoding_aes_keys_are_refused(key: str) -> None:
    with pytest.raises(WeComCryptoError) as refused:
        decode_aes_key(key)
    assert refused.value.code == -40004
    assert "43" in refused.value.message("zh-CN")
