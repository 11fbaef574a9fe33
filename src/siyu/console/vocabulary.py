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
    # campaigns: statuses, channels, offers, arms, populations, metrics
    N_("draft"), N_("launching"), N_("launched"), N_("paused"),
    N_("email"), N_("webhook"), N_("console"), N_("staff"),
    N_("none"), N_("small"), N_("large"), N_("major"),
    N_("treatment"), N_("control"), N_("holdout"), N_("all"), N_("eligible"),
    N_("conversion"), N_("revenue_per_customer_fen"), N_("repurchase"),
    # outbox message statuses
    N_("pending"), N_("held"), N_("sending"), N_("sent"), N_("cancelled"), N_("dead"),
    N_("suppressed"),
    # why the contact policy held a message back
    N_("no_consent"), N_("opted_out"), N_("unreachable"), N_("stage_rule"), N_("cap_day"),
    N_("cap_week"), N_("cap_month"), N_("promotion_cap_day"), N_("promotion_cap_week"),
    N_("promotion_cap_month"), N_("channel_cap_day"), N_("channel_cap_week"),
    N_("channel_cap_month"), N_("staff_capacity"), N_("outbid"),
    # daily tasks: reasons, statuses, outcomes; why a product is suggested
    N_("due_repurchase"), N_("slipping"), N_("deleted_us"), N_("high_value_unserved"),
    N_("open"), N_("skipped"), N_("purchased"), N_("replied"), N_("no_reply"), N_("declined"),
    N_("wrong_contact"), N_("other"),
    N_("co_purchase"), N_("implicit"), N_("trial_to_main"), N_("popular"), N_("refill"),
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
