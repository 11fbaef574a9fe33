"""Words the console shows for stored codes (roles, statuses, carriers …), marked for gettext.

Templates call `_(code)`; each catalogue maps the code to a word in its language.
"""

from __future__ import annotations

from typing import Final

from siyu.web.locale import N_

ROLE_NAMES: Final = {
    "admin": N_("Admin"),
    "operator": N_("Operator"),
    "analyst": N_("Analyst"),
    "customer_service": N_("Customer service"),
    "read_only": N_("Read-only"),
}

CODES: Final = (
    # identity kinds
    N_("phone"), N_("email"), N_("unionid"), N_("external_userid"), N_("platform_buyer"),
    # order statuses
    N_("pending_payment"), N_("paid"), N_("shipped"), N_("completed"), N_("closed"),
    # carriers and consent channels
    N_("wecom"), N_("group"), N_("official_account"), N_("mini_program"), N_("sms"),
    N_("app_push"),
    # why a contact ended
    N_("deleted_by_customer"), N_("removed_by_staff"), N_("blocked"), N_("left_group"),
    # import kinds
    N_("orders"), N_("products"), N_("contacts"), N_("costs"),
    # job states
    N_("queued"), N_("running"), N_("done"), N_("failed"),
)  # fmt: skip
