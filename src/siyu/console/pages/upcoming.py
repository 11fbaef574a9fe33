"""Pages whose figures come with later features: each says what it will show, and what to do now.

When a feature lands, its page replaces the entry here with a router module of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.accounts.rules import Principal
from siyu.console.nav import NAV
from siyu.console.render import render
from siyu.web.deps import require_page
from siyu.web.locale import N_

router = APIRouter()


@dataclass(frozen=True, slots=True)
class Upcoming:
    """What a page will show and what the user can do meanwhile."""

    shows: tuple[str, ...]
    meanwhile: tuple[tuple[str, str], ...]


PAGES: Final = {
    "segments": Upcoming(
        (N_("Saved segments built from ladder tier, lifecycle stage, RFM, CLV, tags and entry "
            "channel."),
         N_("The size of each segment over time.")),
        ((N_("Filter customers by tier and stage on the customers page."), "/customers"),),
    ),
    "campaigns": Upcoming(
        (N_("Campaigns that reach a segment through WeCom, SMS or e-mail under contact-fatigue "
            "rules."),
         N_("A control group for every campaign, and what the campaign really added.")),
        ((N_("Find silent customers worth a small promotion."), "/customers?stage=silent"),),
    ),
    "tasks": Upcoming(
        (N_("Today's list for each staff account: whom to contact, why, and with what."),
         N_("Follow-ups that fall due in each customer's own purchase cycle.")),
        ((N_("Open the customers in your contacts."), "/customers"),
         (N_("Ask an admin to link your user to your WeCom staff account."), "/settings")),
    ),
}  # fmt: skip


def _add(key: str) -> None:
    item = next(i for i in NAV if i.key == key)
    upcoming = PAGES[key]

    allowed = require_page(item.permission)

    def page(request: Request, principal: Principal = allowed) -> Response:
        return render(
            request, "upcoming.html", principal, active=key, title=item.label, page=upcoming
        )

    page.__doc__ = f"The {key} page."
    router.add_api_route(item.path, page, methods=["GET"], include_in_schema=False)


for _key in PAGES:
    _add(_key)
