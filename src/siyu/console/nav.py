"""The console's navigation: every page, where it lives and who may see it.

A new page is a router module under `pages/`, a template, and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from siyu.accounts.rules import Permission, Principal
from siyu.web.locale import N_

P = Permission


@dataclass(frozen=True, slots=True)
class NavItem:
    """One page in the sidebar."""

    key: str
    path: str
    label: str
    section: str
    permission: Permission | None = None


NAV: Final = (
    NavItem("overview", "/overview", N_("Overview"), N_("Figures"), P.OVERVIEW_READ),
    NavItem("channels", "/channels", N_("Channels"), N_("Figures"), P.OVERVIEW_READ),
    NavItem("cohorts", "/cohorts", N_("Cohorts"), N_("Figures"), P.OVERVIEW_READ),
    NavItem("customers", "/customers", N_("Customers"), N_("Customers"), P.CUSTOMERS_READ),
    NavItem("segments", "/segments", N_("Segments"), N_("Customers"), P.ENGAGE_READ),
    NavItem("groups", "/groups", N_("Groups"), N_("Customers"), P.ENGAGE_READ),
    NavItem("codes", "/codes", N_("Live codes"), N_("Customers"), P.ENGAGE_READ),
    NavItem("loyalty", "/loyalty", N_("Loyalty"), N_("Customers"), P.LOYALTY_READ),
    NavItem("tasks", "/tasks", N_("Today's tasks"), N_("Engage"), P.TASKS_READ),
    NavItem("campaigns", "/campaigns", N_("Campaigns"), N_("Engage"), P.ENGAGE_READ),
    NavItem("imports", "/imports", N_("Imports"), N_("Data"), P.IMPORTS_READ),
    NavItem("audit", "/audit", N_("Audit log"), N_("Data"), P.AUDIT_READ),
    NavItem("settings", "/settings", N_("Settings"), N_("Data"), None),
)


def visible(principal: Principal | None) -> list[NavItem]:
    """The pages this user may open, in sidebar order."""
    if principal is None:
        return []
    return [i for i in NAV if i.permission is None or principal.can(i.permission)]


def landing(principal: Principal) -> str:
    """Where a user lands after logging in: the first page their role may open."""
    pages = visible(principal)
    return pages[0].path if pages else "/settings"
