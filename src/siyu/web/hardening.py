"""Hardening shared by the server and the worker: refusing weak production settings, rate
limits on log-in and public endpoints, and the security headers of every response."""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siyu.config import DEFAULT_PUBLIC_URL, Settings
from siyu.kit.errors import SiyuError, ValidationError
from siyu.kit.i18n import translate
from siyu.web.locale import negotiate

PLACEHOLDERS: Final = frozenset(
    {"", "changeme", "change-me", "secret", "password", "test", "example", "default", "siyu",
     "todo", "xxx", "123456"}
)  # fmt: skip
MIN_SECRET = 16


class ProductionSettingsError(SiyuError):
    """A production deployment with a default or missing secret: said in both languages."""

    status_code = 500
    key = "settings.production_secret"

    def message(self, locale: str = "en") -> str:
        """Both languages, whatever the locale: the person reading may not have chosen one."""
        return "\n".join(translate(self.key, lang, **self.params) for lang in ("en", "zh-CN"))


@dataclass(frozen=True, slots=True)
class Problem:
    """A setting that may not stay as it is in production."""

    setting: str
    problem: str
    problem_zh: str


def _weak(secret: SecretStr | None) -> bool:
    value = secret.get_secret_value().strip() if secret is not None else ""
    return value.lower() in PLACEHOLDERS or len(value) < MIN_SECRET or len(set(value)) < 4


def _weak_key(secret: SecretStr) -> bool:
    try:
        raw = base64.b64decode(secret.get_secret_value(), validate=True)
    except (binascii.Error, ValueError):
        return True
    return len(raw) != 32 or len(set(raw)) < 8  # an all-zero or patterned example key


MISSING = ("is missing or a placeholder", "未设置或仍是示例值")


def production_problems(settings: Settings) -> list[Problem]:
    """What a production deployment must change first (empty outside production)."""
    if settings.environment != "production":
        return []
    found: list[Problem] = []
    if settings.pii_key is None and settings.key_file is None:
        found.append(Problem("SIYU_PII_KEY", "is not set (a key generated next to the data "
                             "protects nothing in a backup)", "未设置（与数据放在一起自动生成的密钥"
                             "无法保护备份中的数据）"))  # fmt: skip
    elif settings.pii_key is not None and _weak_key(settings.pii_key):
        found.append(Problem("SIYU_PII_KEY", "is not a random 32-byte base64 key",
                             "不是随机生成的 32 字节 base64 密钥"))  # fmt: skip
    if settings.public_base_url.rstrip("/") == DEFAULT_PUBLIC_URL:
        found.append(Problem("SIYU_PUBLIC_BASE_URL", "is still the example address",
                             "仍是示例地址"))  # fmt: skip
    if settings.cookie_secure is False:
        found.append(Problem("SIYU_COOKIE_SECURE", "is off (session cookies would travel in "
                             "clear)", "已关闭（会话 Cookie 将以明文传输）"))  # fmt: skip
    for name, used, secret in _configured_secrets(settings):
        if used and _weak(secret):
            found.append(Problem(name, *MISSING))
    return found


def _configured_secrets(settings: Settings) -> Iterable[tuple[str, bool, SecretStr | None]]:
    """(setting, whether its feature is configured, the secret)."""
    wecom = bool(settings.wecom_corp_id)
    yield "SIYU_WECOM_SECRET", wecom, settings.wecom_secret
    yield "SIYU_WECOM_TOKEN", wecom, settings.wecom_token
    yield "SIYU_WECOM_ENCODING_AES_KEY", wecom, settings.wecom_encoding_aes_key
    yield "SIYU_SMS_TOKEN", bool(settings.sms_url), settings.sms_token
    yield (
        "SIYU_SMTP_PASSWORD",
        bool(settings.smtp_host and settings.smtp_user),
        (settings.smtp_password),
    )
    yield "SIYU_WEBHOOK_SECRET", bool(settings.webhook_url), settings.webhook_secret


def check_production(settings: Settings) -> None:
    """Refuse to start in production with a default or missing secret (names the setting)."""
    found = production_problems(settings)
    if found:
        first = found[0]
        raise ProductionSettingsError(
            setting=first.setting, problem=first.problem, problem_zh=first.problem_zh
        )


# --- rate limits ---------------------------------------------------------------------------


class TokenBuckets:
    """Token buckets per key: `per_minute` requests, bursts up to the same number."""

    def __init__(self, per_minute: int, *, clock: object = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take a token; return 0 when allowed, else the seconds until one is free."""
        now: float = self._clock()  # type: ignore[operator]
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:  # a flood of addresses: start over, never grow
                self._buckets.clear()
            return (1 - tokens) / self.rate


@dataclass(frozen=True, slots=True)
class Limit:
    """Requests whose method and path match share a bucket per client (or per API key)."""

    name: str
    method: str
    prefix: str
    buckets: TokenBuckets
    by_key_header: str = ""


def limits(settings: Settings) -> list[Limit]:
    """The rate limits of this deployment."""
    public = TokenBuckets(settings.rate_public_per_minute)
    return [
        Limit("login", "POST", "/login", TokenBuckets(settings.rate_login_per_minute)),
        Limit(
            "webhook",
            "POST",
            "/api/v1/webhooks/",
            TokenBuckets(settings.rate_webhook_per_minute),
            by_key_header="x-siyu-key",
        ),
        Limit("wecom", "*", "/wecom/callback", public),
        Limit("landing", "*", "/j/", public),
    ]


class RateLimit:
    """Answers 429 with Retry-After when a client exceeds a limit (plain ASGI, in memory)."""

    def __init__(self, app: ASGIApp, rules: list[Limit], default_locale: str = "zh-CN") -> None:
        self.app, self.rules, self.default_locale = app, rules, default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on unless its bucket is empty."""
        if scope["type"] == "http":
            rule = self._rule(scope["method"], scope["path"])
            if rule is not None:
                wait = rule.buckets.take(self._key(rule, scope))
                if wait > 0:
                    await self._refuse(scope, send, math.ceil(wait))
                    return
        await self.app(scope, receive, send)

    def _rule(self, method: str, path: str) -> Limit | None:
        for rule in self.rules:
            if path.startswith(rule.prefix) and rule.method in ("*", method):
                return rule
        return None

    @staticmethod
    def _key(rule: Limit, scope: Scope) -> str:
        headers = dict(scope.get("headers") or [])
        if rule.by_key_header:
            sent = headers.get(rule.by_key_header.encode(), b"")
            if sent:
                return f"{rule.name}:key:{sent[:64].decode('latin-1')}"
        client = scope.get("client") or ("?", 0)
        return f"{rule.name}:ip:{client[0]}"

    async def _refuse(self, scope: Scope, send: Send, seconds: int) -> None:
        headers = dict(scope.get("headers") or [])
        locale = negotiate(headers.get(b"accept-language", b"").decode("latin-1"))
        retry = [(b"retry-after", str(seconds).encode())]
        await _error(send, 429, "rate.limited", locale or self.default_locale, headers=retry,
                     seconds=seconds)  # fmt: skip


# --- upload size ---------------------------------------------------------------------------

UPLOAD_PATHS: Final = ("/api/v1/imports", "/imports")


class BodyLimit:
    """Refuses an upload larger than SIYU_UPLOAD_MAX_MB before it is spooled to disk."""

    def __init__(self, app: ASGIApp, max_mb: int, default_locale: str = "zh-CN") -> None:
        self.app, self.max_mb, self.default_locale = app, max_mb, default_locale
        self.max_bytes = max_mb * 2**20

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length; count the bytes of a request that declares none."""
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(UPLOAD_PATHS)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            locale = negotiate(headers.get(b"accept-language", b"").decode("latin-1"))
            await _error(send, 413, "upload.too_large", locale or self.default_locale,
                         megabytes=self.max_mb)  # fmt: skip
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise ValidationError("upload.too_large", megabytes=self.max_mb)
            return message

        await self.app(scope, counted, send)


async def _error(
    send: Send, status: int, key: str, locale: str, *, headers: Iterable[tuple[bytes, bytes]] = (),
    **params: object,
) -> None:  # fmt: skip
    """Send siyu's error body from a middleware (before any route ran)."""
    body = json.dumps({"error": {"code": key, "message": translate(key, locale, **params)}},
                      ensure_ascii=False).encode()  # fmt: skip
    start: Message = {
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()), *headers],
    }  # fmt: skip
    await send(start)
    await send({"type": "http.response.body", "body": body})


# --- headers -------------------------------------------------------------------------------

SECURITY_HEADERS: Final = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data: blob:; object-src 'none'; frame-ancestors 'none'; "
        b"base-uri 'self'; form-action 'self'",
    ),
]
HSTS: Final = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """Adds the security headers to every response; HSTS under https (plain ASGI)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = SECURITY_HEADERS + ([HSTS] if scope.get("scheme") == "https" else [])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                own = {name for name, _ in headers}  # a page may set a policy of its own
                message["headers"] = headers + [h for h in extra if h[0] not in own]
            await send(message)

        await self.app(scope, receive, send_with_headers)
