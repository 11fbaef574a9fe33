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

ACTION_NAMES: Final = {
    "auth.login": N_("Logged in"),
    "auth.login_failed": N_("Failed log-in"),
    "auth.lockout": N_("Account locked"),
    "user.create": N_("User created"),
    "user.role_change": N_("Role changed"),
    "user.deactivate": N_("User deactivated"),
    "user.reactivate": N_("User reactivated"),
    "user.password": N_("Password set"),
    "api_key.create": N_("API key created"),
    "api_key.revoke": N_("API key revoked"),
    "data.export": N_("Export"),
    "pii.reveal": N_("Clear view"),
    "consent.change": N_("Consent changed"),
    "policy.change": N_("Contact policy changed"),
    "campaign.launch": N_("Campaign launched"),
    "message.send": N_("Messages sent"),
    "loyalty.adjust": N_("Loyalty posting by hand"),
    "loyalty.audit": N_("Loyalty ledger audit"),
    "audit.verify": N_("Audit log verified"),
}
