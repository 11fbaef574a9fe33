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
    "channels": Upcoming(
        (N_("Joiners per diversion channel: package cards, SMS, customer service, stores, live "
            "streams, KOLs, ads and referrals."),
         N_("Customer acquisition cost, LTV/CAC and payback time per channel."),
         N_("The red-envelope effect: joiners who came for a red envelope and never bought.")),
        ((N_("Import pool contacts with the channel each one came through."), "/imports"),
         (N_("Import the daily spend of each channel."), "/imports")),
    ),
    "cohorts": Upcoming(
        (N_("Retention heatmap: of the customers who first bought in a month, the share who "
            "bought again in each later month."),
         N_("Revenue heatmap of the same cohorts."),
         N_("Ladder migration: how customers move between the rungs of the value ladder.")),
        ((N_("Import your order history; the longer it reaches back, the better."), "/imports"),
         (N_("See the ladder and lifecycle stages on the overview."), "/overview")),
    ),
    "groups": Upcoming(
        (N_("Your WeCom groups, their members and who talks in them."),
         N_("Groups that are dying because only the owner posts.")),
        ((N_("Import group memberships as contacts with the carrier 'group'."), "/imports"),),
    ),
    "loyalty": Upcoming(
        (N_("Members, tiers, points and stored-value balances."),
         N_("Paid membership cards and top-up gifts, and what members buy.")),
        ((N_("Import your members as contacts of the mini program."), "/imports"),),
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
