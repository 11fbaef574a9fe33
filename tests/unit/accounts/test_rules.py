"""Roles, scopes and keys: pure rules."""

from __future__ import annotations

import pytest

from siyu.accounts.rules import (
    API_SCOPES,
    Permission,
    Principal,
    Role,
    key_prefix,
    parse_scopes,
    permissions_for,
)


def test_admins_hold_every_console_permission_but_the_key_only_ones() -> None:
    assert permissions_for(Role.ADMIN) == frozenset(Permission) - {Permission.ORDERS_WRITE}


def test_customer_service_sees_customers_not_the_figures() -> None:
    staff = permissions_for(Role.CUSTOMER_SERVICE)
    assert Permission.CUSTOMERS_READ in staff and Permission.OVERVIEW_READ not in staff
    assert Principal(1, staff, role=Role.CUSTOMER_SERVICE).own_customers_only


def test_read_only_changes_nothing() -> None:
    writes = {p for p in Permission if p.value.endswith(":write") or p.value.endswith("manage")}
    assert not permissions_for(Role.READ_ONLY) & writes
    assert Permission.EXPORT not in permissions_for(Role.READ_ONLY)


def test_scopes_parse_and_refuse_unknown_or_admin_ones() -> None:
    assert parse_scopes("orders:write, customers:read") == {
        Permission.ORDERS_WRITE, Permission.CUSTOMERS_READ
    }  # fmt: skip
    for bad in ("users:manage", "everything", "api_keys:manage"):
        with pytest.raises(ValueError, match=bad):
            parse_scopes(bad)
    assert Permission.USERS_MANAGE not in API_SCOPES


@pytest.mark.parametrize(
    ("key", "prefix"),
    [
        ("siyu_ab12cd34_x_y-z", "siyu_ab12cd34"),
        ("siyu_ab12cd34_secret", "siyu_ab12cd34"),
        ("siyu__secret", None),
        ("other_ab_cd", None),
        ("siyu_ab12cd34", None),
    ],
)
def test_key_prefix(key: str, prefix: str | None) -> None:
    assert key_prefix(key) == prefix
