"""Use cases of accounts: users, passwords, sessions and API keys (never commits)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Generic, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from siyu.accounts import repository
from siyu.accounts.rules import (
    API_SCOPES,
    KEY_PREFIX,
    MIN_PASSWORD_LENGTH,
    Permission,
    Principal,
    Role,
    format_scopes,
    hash_token,
    key_prefix,
    parse_scopes,
    permissions_for,
    same_token,
)
from siyu.audit import service as audit
from siyu.audit.rules import SYSTEM, Action, Target, user_actor
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    SiyuError,
    ValidationError,
)
from siyu.models import ApiKey, UserAccount, WebSession

T = TypeVar("T")

# argon2id with the library's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()
TOUCH_EVERY = timedelta(minutes=5)
DEMO_ADMIN = "admin"
LOCK_AFTER = 5
"""Consecutive failed log-ins that lock an account."""
LOCK_FOR = timedelta(minutes=15)


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def check_password(password: str) -> None:
    """Refuse a password that is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("user.password_short", length=MIN_PASSWORD_LENGTH)


def generate_password() -> str:
    """Return a random password (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    workspace_id: int,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    staff_code: str = "",
    actor: str = SYSTEM,
) -> UserAccount:
    """Create a console user; customer-service users may be linked to their staff account."""
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationError("user.name_invalid")
    check_password(password)
    if repository.get_user_by_name(session, username) is not None:
        raise ConflictError("user.exists", username=username)
    user = UserAccount(
        workspace_id=workspace_id,
        username=username,
        display_name=display_name.strip()[:200],
        password_hash=hash_password(password),
        role=role.value,
        staff_account_id=_staff_id(session, workspace_id, staff_code),
    )
    repository.add(session, user)
    audit.record(session, actor, Action.USER_CREATE, Target("user", user.id), {"role": role.value},
                 workspace_id=workspace_id)  # fmt: skip
    return user


def _staff_id(session: Session, workspace_id: int, code: str) -> int | None:
    if not code.strip():
        return None
    found = repository.staff_id_by_code(session, workspace_id, code.strip())
    if found is None:
        raise ValidationError("user.staff_unknown", code=code.strip())
    return found


def update_user(
    session: Session,
    workspace_id: int,
    user_id: int,
    *,
    role: Role | None = None,
    active: bool | None = None,
    password: str | None = None,
    staff_code: str | None = None,
    actor: str = SYSTEM,
) -> UserAccount:
    """Change a user's role, status, password or staff link; never lose the last admin.

    Each change is audited; a new password or a reactivation also lifts a lock-out.
    """
    user = repository.get_user(session, workspace_id, user_id)
    if user is None:
        raise NotFoundError("user.not_found", ident=user_id)
    demoting = role is not None and role is not Role.ADMIN
    losing_admin = user.role == Role.ADMIN and user.active and (demoting or active is False)
    if losing_admin and repository.count_active_admins(session, workspace_id) <= 1:
        raise ConflictError("user.last_admin")
    changes: list[tuple[Action, dict[str, str]]] = []
    if role is not None and role.value != user.role:
        changes.append((Action.USER_ROLE, {"from": user.role, "to": role.value}))
        user.role = role.value
    if staff_code is not None:
        user.staff_account_id = _staff_id(session, workspace_id, staff_code)
    if password is not None:
        check_password(password)
        user.password_hash = hash_password(password)
        changes.append((Action.USER_PASSWORD, {}))
    if active is not None and active != user.active:
        changes.append((Action.USER_REACTIVATE if active else Action.USER_DEACTIVATE, {}))
        user.active = active
    if password is not None or active is not None:
        user.failed_logins, user.locked_until = 0, None
    if password is not None or active is False:
        repository.delete_user_sessions(session, user.id)
    session.flush()
    for action, details in changes:
        audit.record(session, actor, action, Target("user", user.id), details,
                     workspace_id=workspace_id)  # fmt: skip
    return user


class LoginThrottle:
    """Refuses a user name for a while after repeated failed log-ins (per process)."""

    def __init__(self, *, failures: int = 5, window_s: float = 900, lock_s: float = 300) -> None:
        self.failures, self.window_s, self.lock_s = failures, window_s, lock_s
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, username: str) -> None:
        """Raise when the name is locked out."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._seen.get(username, []) if now - t < self.window_s]
            self._seen[username] = recent
            if len(recent) >= self.failures and now - recent[-1] < self.lock_s:
                minutes = max(1, round((self.lock_s - (now - recent[-1])) / 60))
                raise AuthenticationError("auth.throttled", minutes=minutes)

    def failed(self, username: str) -> None:
        """Record a failed attempt."""
        with self._lock:
            self._seen.setdefault(username, []).append(time.monotonic())

    def succeeded(self, username: str) -> None:
        """Forget the failures of a name that logged in."""
        with self._lock:
            self._seen.pop(username, None)


def authenticate(
    session: Session, username: str, password: str, throttle: LoginThrottle
) -> UserAccount:
    """Return the active user with this name and password, or raise a bilingual 401.

    Every attempt is audited; LOCK_AFTER failures in a row lock the account for LOCK_FOR
    (the caller must commit after a failure too: the count and the entries are the point).
    """
    throttle.check(username)
    user = repository.get_user_by_name(session, username.strip())
    hashed = user.password_hash if user is not None else _dummy_hash()
    try:
        _hasher.verify(hashed, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        _failed(session, user, reason="locked")
        minutes = max(1, round((user.locked_until - now).total_seconds() / 60))
        raise AuthenticationError("auth.locked", failures=LOCK_AFTER, minutes=minutes)
    if not ok or user is None:
        throttle.failed(username)
        _failed(session, user, reason="password" if user is not None else "unknown_user")
        if user is not None and user.locked_until is not None and user.locked_until > now:
            raise AuthenticationError("auth.locked", failures=LOCK_AFTER,
                                      minutes=round(LOCK_FOR.total_seconds() / 60))  # fmt: skip
        raise AuthenticationError("auth.bad_login")
    throttle.succeeded(username)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at, user.failed_logins, user.locked_until = now, 0, None
    audit.record(session, user_actor(user.id), Action.LOGIN, Target("user", user.id),
                 workspace_id=user.workspace_id)  # fmt: skip
    return user


def _failed(session: Session, user: UserAccount | None, *, reason: str) -> None:
    """Count and audit a failed log-in; lock the account at LOCK_AFTER in a row."""
    if user is None:
        # The name typed is not stored: it may be a password typed into the wrong box.
        audit.record(session, "anonymous", Action.LOGIN_FAILED, Target("user"), {"reason": reason})
        return
    target, ws = Target("user", user.id), user.workspace_id
    audit.record(session, "anonymous", Action.LOGIN_FAILED, target, {"reason": reason},
                 workspace_id=ws)  # fmt: skip
    if reason == "locked":
        return
    user.failed_logins += 1
    if user.failed_logins >= LOCK_AFTER:
        user.locked_until, user.failed_logins = utcnow() + LOCK_FOR, 0
        details = {"failures": LOCK_AFTER, "minutes": int(LOCK_FOR.total_seconds() // 60)}
        audit.record(session, SYSTEM, Action.LOCKOUT, target, details, workspace_id=ws)


@cache
def _dummy_hash() -> str:
    # Verifying against a real hash for unknown names keeps their timing like a wrong password.
    return _hasher.hash(secrets.token_hex(8))


def start_session(session: Session, user: UserAccount, *, hours: int) -> tuple[str, WebSession]:
    """Open a web session; return the cookie token (only its hash is stored)."""
    now = utcnow()
    repository.delete_expired_sessions(session, now)
    token = secrets.token_urlsafe(32)
    row = WebSession(
        id=hash_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    repository.add(session, row)
    return token, row


def end_session(session: Session, token: str) -> None:
    """Log a session out."""
    repository.delete_session(session, hash_token(token))


def session_principal(session: Session, token: str) -> Principal | None:
    """Return the user behind a session cookie, or None when unknown, expired or inactive."""
    found = repository.get_session_with_user(session, hash_token(token))
    if found is None:
        return None
    web, user = found
    now = utcnow()
    if web.expires_at <= now or not user.active:
        return None
    if now - web.last_seen_at > TOUCH_EVERY:
        repository.touch_session(session, web.id, now)
    return user_principal(user, csrf_token=web.csrf_token)


def user_principal(user: UserAccount, *, csrf_token: str | None = None) -> Principal:
    """The principal of a console user."""
    role = Role(user.role)
    return Principal(
        workspace_id=user.workspace_id,
        permissions=permissions_for(role),
        user_id=user.id,
        username=user.username,
        role=role,
        staff_account_id=user.staff_account_id,
        locale=user.locale,
        csrf_token=csrf_token,
    )


def set_locale(session: Session, workspace_id: int, user_id: int, locale: str) -> None:
    """Remember a user's language."""
    user = repository.get_user(session, workspace_id, user_id)
    if user is not None:
        user.locale = locale


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key just created: the key and signing secret are shown once, then only hashed."""

    row: ApiKey
    key: str
    signing_secret: str


def create_api_key(
    session: Session,
    workspace_id: int,
    cipher: PiiCipher,
    *,
    name: str,
    scopes: str,
    created_by: int | None = None,
    actor: str = SYSTEM,
) -> NewApiKey:
    """Create an API key with scopes and a webhook signing secret."""
    try:
        parsed = parse_scopes(scopes)
    except ValueError as exc:
        known = ", ".join(sorted(API_SCOPES))
        raise ValidationError("scope.unknown", scope=str(exc), known=known) from None
    if not parsed:
        raise ValidationError("scope.none")
    prefix = f"{KEY_PREFIX}_{secrets.token_hex(4)}"
    key = f"{prefix}_{secrets.token_urlsafe(24)}"
    secret = f"whsec_{secrets.token_urlsafe(24)}"
    row = ApiKey(
        workspace_id=workspace_id,
        name=name.strip()[:100] or prefix,
        prefix=prefix,
        key_hash=hash_token(key),
        scopes=format_scopes(parsed),
        signing_secret_enc=cipher.encrypt(secret),
        created_by_id=created_by,
    )
    repository.add(session, row)
    audit.record(session, actor, Action.API_KEY_CREATE, Target("api_key", row.id),
                 {"prefix": prefix, "scopes": row.scopes}, workspace_id=workspace_id)  # fmt: skip
    return NewApiKey(row, key, secret)


def key_principal(key: ApiKey) -> Principal:
    """The principal of an integration calling with an API key."""
    return Principal(
        workspace_id=key.workspace_id,
        permissions=parse_scopes(key.scopes),
        api_key_id=key.id,
        username=key.name,
    )


def active_key_by_prefix(session: Session, prefix: str, *, touch: bool = True) -> ApiKey | None:
    """Return the unrevoked key with this prefix; record its use at most every few minutes."""
    key = repository.get_key_by_prefix(session, prefix)
    if key is None or key.revoked_at is not None:
        return None
    if touch:
        touch_key(session, key)
    return key


def touch_key(session: Session, key: ApiKey) -> None:
    """Record that a key was used (at most every few minutes: it is a write)."""
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        repository.touch_key(session, key.id, now)
        key.last_used_at = now


class KeyCache(Generic[T]):
    """Recently verified API keys, so that a busy integration costs no query per request.

    An entry lives KEY_CACHE_SECONDS; revoking a key empties this process's caches at once
    (other worker processes follow within the TTL).
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, T]] = {}

    def get(self, key: str) -> T | None:
        """The cached value, if fresh."""
        found = self._entries.get(key)
        if found is None or time.monotonic() - found[0] > self.ttl:
            return None
        return found[1]

    def put(self, key: str, value: T) -> None:
        """Remember a verified key."""
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (time.monotonic(), value)

    def clear(self) -> None:
        """Forget every key (after a revocation)."""
        self._entries.clear()


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What a signed webhook needs of its key: who, what it may do, and the secret."""

    id: int
    workspace_id: int
    prefix: str
    scopes: frozenset[Permission]
    secret: bytes = field(repr=False)
    last_used_at: datetime | None = None

    @property
    def stale_use(self) -> bool:
        """Whether the key's last use on record is older than TOUCH_EVERY."""
        return self.last_used_at is None or utcnow() - self.last_used_at > TOUCH_EVERY


KEY_CACHE_SECONDS = 5.0
key_cache: KeyCache[Principal] = KeyCache(KEY_CACHE_SECONDS)
signing_cache: KeyCache[SigningKey] = KeyCache(KEY_CACHE_SECONDS)


def signing_key(session: Session, cipher: PiiCipher, prefix: str) -> SigningKey | None:
    """The active key with this prefix and its decrypted signing secret (cached briefly)."""
    cached = signing_cache.get(prefix)
    if cached is not None:
        return cached
    # No write here: the webhook writes only under the store's write lock (see receive_order).
    key = active_key_by_prefix(session, prefix, touch=False)
    if key is None:
        return None
    found = SigningKey(key.id, key.workspace_id, key.prefix, parse_scopes(key.scopes),
                       signing_secret(cipher, key), key.last_used_at)  # fmt: skip
    signing_cache.put(prefix, found)
    return found


def api_key_principal(session: Session, key: str) -> Principal | None:
    """Return the principal of a bearer API key, or None when unknown or revoked."""
    key_hash = hash_token(key)
    cached = key_cache.get(key_hash)
    if cached is not None:
        return cached
    prefix = key_prefix(key)
    if prefix is None:
        return None
    found = active_key_by_prefix(session, prefix)
    if found is None or not same_token(found.key_hash, key_hash):
        return None
    principal = key_principal(found)
    key_cache.put(key_hash, principal)
    return principal


def signing_secret(cipher: PiiCipher, key: ApiKey) -> bytes:
    """Return the key's webhook signing secret."""
    return cipher.decrypt(key.signing_secret_enc).encode()


def revoke_api_key(
    session: Session, workspace_id: int, key_id: int, *, actor: str = SYSTEM
) -> ApiKey:
    """Revoke a key; it stops working at once."""
    key = repository.get_key(session, workspace_id, key_id)
    if key is None:
        raise NotFoundError("api_key.not_found", ident=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(session, actor, Action.API_KEY_REVOKE, Target("api_key", key.id),
                     {"prefix": key.prefix}, workspace_id=workspace_id)  # fmt: skip
    key_cache.clear()
    signing_cache.clear()
    return key


def ensure_admin(
    session: Session, workspace_id: int, *, username: str = DEMO_ADMIN, actor: str = SYSTEM
) -> tuple[UserAccount, str]:
    """Create the admin, or give it a fresh password; return it and the password (shown once)."""
    password = generate_password()
    user = repository.get_user_by_name(session, username)
    if user is not None and user.workspace_id != workspace_id:
        raise SiyuError("user.exists", username=username)
    if user is None:
        user = create_user(
            session, workspace_id, username=username, password=password, role=Role.ADMIN,
            display_name="Admin", actor=actor,
        )  # fmt: skip
    else:
        user.password_hash, user.role, user.active = hash_password(password), "admin", True
        user.failed_logins, user.locked_until = 0, None
        repository.delete_user_sessions(session, user.id)
        audit.record(session, actor, Action.USER_PASSWORD, Target("user", user.id),
                     {"role": "admin"}, workspace_id=workspace_id)  # fmt: skip
    return user, password
