"""Roles, permissions and API-key scopes: who may do what (pure, no I/O)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from siyu.audit.rules import SYSTEM, key_actor, user_actor


class Role(StrEnum):
    """What a console user is for."""

    ADMIN = "admin"
    OPERATOR = "operator"
    ANALYST = "analyst"
    CUSTOMER_SERVICE = "customer_service"
    READ_ONLY = "read_only"


class Permission(StrEnum):
    """One thing an endpoint or page needs; API-key scopes use the same names."""

    OVERVIEW_READ = "overview:read"
    CUSTOMERS_READ = "customers:read"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    IMPORTS_READ = "imports:read"
    IMPORTS_WRITE = "imports:write"
    EXPORT = "export"
    ENGAGE_READ = "engage:read"
    ENGAGE_WRITE = "engage:write"
    TASKS_READ = "tasks:read"
    LOYALTY_READ = "loyalty:read"
    LOYALTY_WRITE = "loyalty:write"
    LOYALTY_MANAGE = "loyalty:manage"
    POLICY_WRITE = "policy:write"
    PII_REVEAL = "pii:reveal"
    AUDIT_READ = "audit:read"
    USERS_MANAGE = "users:manage"
    API_KEYS_MANAGE = "api_keys:manage"
    PRIVACY_MANAGE = "privacy:manage"


P = Permission
ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPERATOR: frozenset(
        {
            P.OVERVIEW_READ,
            P.CUSTOMERS_READ,
            P.ORDERS_READ,
            P.IMPORTS_READ,
            P.IMPORTS_WRITE,
            P.EXPORT,
            P.ENGAGE_READ,
            P.ENGAGE_WRITE,
            P.TASKS_READ,
            P.LOYALTY_READ,
            P.LOYALTY_WRITE,
        }
    ),
    Role.ANALYST: frozenset(
        {
            P.OVERVIEW_READ,
            P.CUSTOMERS_READ,
            P.ORDERS_READ,
            P.IMPORTS_READ,
            P.EXPORT,
            P.ENGAGE_READ,
            P.LOYALTY_READ,
        }
    ),
    # Customer service works its own customers and tasks; the brand's figures are not theirs.
    Role.CUSTOMER_SERVICE: frozenset(
        {P.CUSTOMERS_READ, P.ORDERS_READ, P.TASKS_READ, P.LOYALTY_READ}
    ),
    Role.READ_ONLY: frozenset(
        {
            P.OVERVIEW_READ,
            P.CUSTOMERS_READ,
            P.ORDERS_READ,
            P.IMPORTS_READ,
            P.ENGAGE_READ,
            P.LOYALTY_READ,
        }
    ),
}

API_SCOPES: Final = frozenset(
    {P.OVERVIEW_READ, P.CUSTOMERS_READ, P.ORDERS_READ, P.ORDERS_WRITE, P.IMPORTS_READ,
     P.IMPORTS_WRITE, P.EXPORT, P.LOYALTY_READ, P.LOYALTY_WRITE, P.LOYALTY_MANAGE,
     P.ENGAGE_READ, P.ENGAGE_WRITE, P.PRIVACY_MANAGE}
)  # fmt: skip
"""Scopes a key may carry: keys never manage users or other keys."""

ONLY_FOR_KEYS: Final = frozenset({P.ORDERS_WRITE})
"""Permissions no console user exercises: the order webhook is signed by a key."""

MIN_PASSWORD_LENGTH: Final = 10
KEY_PREFIX: Final = "siyu"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a console user (through a session) or an integration (an API key)."""

    workspace_id: int
    permissions: frozenset[Permission]
    user_id: int | None = None
    username: str = ""
    role: Role | None = None
    staff_account_id: int | None = None
    api_key_id: int | None = None
    locale: str | None = None
    csrf_token: str | None = field(default=None, repr=False)

    def can(self, permission: Permission) -> bool:
        """Whether this caller holds the permission."""
        return permission in self.permissions

    @property
    def own_customers_only(self) -> bool:
        """Customer-service staff see only the customers in their own contacts."""
        return self.role is Role.CUSTOMER_SERVICE

    @property
    def actor(self) -> str:
        """Who this caller is in the audit log."""
        if self.user_id is not None:
            return user_actor(self.user_id)
        return key_actor(self.api_key_id) if self.api_key_id is not None else SYSTEM

    @property
    def label(self) -> str:
        """The role's name, or 'api key' for an integration (used in error messages)."""
        return self.role.value if self.role is not None else "api_key"


def permissions_for(role: Role) -> frozenset[Permission]:
    """Return the permissions of a console role (never the key-only ones)."""
    return ROLE_PERMISSIONS[role] - ONLY_FOR_KEYS


def parse_scopes(text: str) -> frozenset[Permission]:
    """Parse space- or comma-separated scopes; raise ValueError naming an unknown one."""
    found: set[Permission] = set()
    for word in text.replace(",", " ").split():
        try:
            scope = Permission(word)
        except ValueError:
            raise ValueError(word) from None
        if scope not in API_SCOPES:
            raise ValueError(word)
        found.add(scope)
    return frozenset(found)


def format_scopes(scopes: frozenset[Permission]) -> str:
    """Scopes as stored: sorted, space-separated."""
    return " ".join(sorted(scopes))


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy token (session or API key): enough, and fast per request."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(a: str, b: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())


def key_prefix(key: str) -> str | None:
    """Return the public prefix of an API key ('siyu_ab12cd34_…' -> 'siyu_ab12cd34')."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return f"{parts[0]}_{parts[1]}"
