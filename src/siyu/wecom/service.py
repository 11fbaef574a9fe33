"""Turning stored WeCom callbacks into contacts, and making the WeCom calls they record.

Never commits: the callback receiver and the CLI own the transactions. Each callback is
processed in its own transaction and marked done in it, so a crash part-way leaves it
pending for the next run and a finished one is never processed twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.channels import repository as channel_repository
from siyu.channels import service as channels
from siyu.channels.rules import EXPIRED, LIVE, UNAVAILABLE, UNKNOWN, Outcome, available_staff
from siyu.customers.rules import IdentifierKey, identifier
from siyu.customers.service import IdentityResolver, ResolveRequest
from siyu.groups.service import Groups, Member, is_external
from siyu.kit.clock import utcnow
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import SiyuError
from siyu.messaging import service as messaging
from siyu.models import ChannelCode, StaffAccount, WeComCallback
from siyu.models.enums import IdentityKind, LeftReason
from siyu.pool.service import Directory
from siyu.referral import repository as referral_repository
from siyu.referral import service as referrals
from siyu.wecom import repository
from siyu.wecom.adapter import TAG, TEXT, WELCOME
from siyu.wecom.client import (
    ExternalContact,
    GroupChatDetail,
    WeComApiError,
    WeComClient,
    WeComUnreachableError,
)
from siyu.wecom.events import (
    ADD_CONTACT,
    ADD_HALF_CONTACT,
    CHAT_EVENT,
    CONTACT_EVENT,
    CUSTOMER_DELETED_STAFF,
    EDIT_CONTACT,
    STAFF_DELETED_CUSTOMER,
    CallbackEvent,
    parse_event,
)

log = logging.getLogger(__name__)

MAX_CALLBACK_ATTEMPTS = 5
CHANNEL = "wecom"  # the general outbox's channel; siyu.wecom.adapter makes its calls


@dataclass
class EventContext:
    """What a handler needs to turn one event into records."""

    session: Session
    workspace_id: int
    cipher: PiiCipher
    client: WeComClient | None
    callback_id: int
    directory: Directory = field(init=False)

    def __post_init__(self) -> None:
        self.directory = Directory(self.session, self.workspace_id)

    def staff(self, userid: str) -> StaffAccount:
        """The staff account of a WeCom userid (created when WeCom names a new one)."""
        staff_id = self.directory.staff_account(userid[:64])
        found = channel_repository.get_staff(self.session, self.workspace_id, staff_id)
        assert found is not None
        return found

    def details(self, external_userid: str) -> ExternalContact | None:
        """The contact's details from WeCom, or None when WeCom cannot say now."""
        if self.client is None:
            return None
        try:
            return self.client.get_external_contact(external_userid)
        except (WeComApiError, WeComUnreachableError) as exc:
            log.warning(
                "callback %d: contact details unavailable (%s)",
                self.callback_id,
                type(exc).__name__,
            )
            return None

    def customer(self, event: CallbackEvent, details: ExternalContact | None) -> int:
        """Resolve the contact to a customer by external userid, unionid and remark phone."""
        keys: list[IdentifierKey | None] = [
            identifier(IdentityKind.EXTERNAL_USERID, event.external_user_id)
        ]
        name = None
        if details is not None:
            name = details.name or None
            keys.append(identifier(IdentityKind.UNIONID, details.unionid))
            for follow in details.follow_users:
                if follow.userid == event.user_id:
                    keys.extend(identifier(IdentityKind.PHONE, m) for m in follow.remark_mobiles)
        found = tuple(k for k in keys if k is not None)
        if not found:
            raise SiyuError("wecom.callback_no_contact")
        resolver = IdentityResolver(self.session, self.workspace_id, self.cipher, source="wecom")
        request = ResolveRequest(
            found, event.created_at, f"wecom callback {self.callback_id}", name
        )
        customer_id = resolver.resolve([request])[0]
        assert customer_id is not None
        return customer_id

    def queue(
        self, kind: str, payload: Mapping[str, Any], *, customer_id: int, staff_id: int
    ) -> None:
        """Record a WeCom call in the general outbox (made once this transaction commits).

        The recipient's external userid is not in the payload: the worker decrypts it at
        send time; the staff member is the sender.
        """
        messaging.enqueue(
            self.session,
            self.workspace_id,
            channel=CHANNEL,
            keys=[f"wecom:{kind}:{self.callback_id}"],
            payloads=[{"kind": kind, **payload}],
            send_at=[utcnow()],
            source_kind="wecom_callback",
            source_id=self.callback_id,
            customer_ids=[customer_id],
            staff_ids=[staff_id],
        )


Handler = Callable[[EventContext, CallbackEvent], str]
JoinHook = Callable[[EventContext, CallbackEvent, int, StaffAccount], "str | None"]
# Other packages (referral, groups) register here; see `register`.
HANDLERS: dict[tuple[str, str], Handler] = {}
JOIN_HOOKS: list[JoinHook] = []


def register(event: str, change_type: str) -> Callable[[Handler], Handler]:
    """Register the handler of one (event, change type); change type "*" takes them all."""

    def decorate(handler: Handler) -> Handler:
        HANDLERS[(event, change_type)] = handler
        return handler

    return decorate


@register(CONTACT_EVENT, ADD_CONTACT)
@register(CONTACT_EVENT, ADD_HALF_CONTACT)
def on_contact_added(ctx: EventContext, event: CallbackEvent) -> str:
    """A customer added a staff account: land the contact, attribute it, welcome and tag."""
    details = ctx.details(event.external_user_id)
    customer_id = ctx.customer(event, details)
    staff = ctx.staff(event.user_id)
    for hook in JOIN_HOOKS:
        handled = hook(ctx, event, customer_id, staff)
        if handled is not None:
            return handled
    referred = referrals.lookup(ctx.session, ctx.workspace_id, event.state, event.created_at)
    if referred is not None:
        return _referral_join(ctx, event, customer_id, staff, referred)
    landing = channels.land_join(
        ctx.session,
        ctx.workspace_id,
        customer_id=customer_id,
        staff=staff,
        state=event.state,
        joined_at=event.created_at,
    )
    if landing.created and landing.code is not None:
        # an ended or paused campaign's offer is over: tag the joiner, send no welcome
        live = landing.outcome in (Outcome.ATTRIBUTED, Outcome.STAFF_INACTIVE)
        _welcome_and_tag(ctx, event, landing.code, staff, customer_id, welcome=live)
    return f"{landing.outcome} contact={landing.contact_id}"


def _referral_join(
    ctx: EventContext,
    event: CallbackEvent,
    customer_id: int,
    staff: StaffAccount,
    referred: referrals.CodeLookup,
) -> str:
    """A customer joined through someone's referral code: land them, record the referral."""
    outcome = Outcome.REFERRAL if referred.running else Outcome.EXPIRED_CODE
    landing = channels.land_join(
        ctx.session,
        ctx.workspace_id,
        customer_id=customer_id,
        staff=staff,
        state=event.state,
        joined_at=event.created_at,
        outcome=outcome,
        channel_id=referred.campaign.channel_id,
    )
    referral = referrals.record_join(
        ctx.session,
        ctx.workspace_id,
        ctx.cipher,
        code=event.state,
        referee_id=customer_id,
        at=event.created_at,
    )
    status = referral.status if referral is not None else "none"
    return f"{landing.outcome} contact={landing.contact_id} referral={status}"


def _welcome_and_tag(
    ctx: EventContext,
    event: CallbackEvent,
    code: ChannelCode,
    staff: StaffAccount,
    customer_id: int,
    *,
    welcome: bool,
) -> None:
    who = {"customer_id": customer_id, "staff_id": staff.id}
    if welcome and event.welcome_code and code.welcome_text:
        welcome_msg = {
            "welcome_code": event.welcome_code,
            "text": code.welcome_text,
            "event_at": event.created_at.isoformat(),
        }
        ctx.queue(WELCOME, welcome_msg, **who)
    tags = [t for t in code.tag_ids.split(",") if t]
    if tags:
        ctx.queue(TAG, {"add_tag": tags}, **who)


@register(CONTACT_EVENT, EDIT_CONTACT)
def on_contact_edited(ctx: EventContext, event: CallbackEvent) -> str:
    """The staff member edited the contact (a remark phone perhaps): refresh identities."""
    details = ctx.details(event.external_user_id)
    customer_id = ctx.customer(event, details)
    return f"identities refreshed customer={customer_id}"


@register(CONTACT_EVENT, CUSTOMER_DELETED_STAFF)
def on_customer_deleted_staff(ctx: EventContext, event: CallbackEvent) -> str:
    """The customer deleted the staff account: close the contact (the staff's alert list)."""
    return _end(ctx, event, LeftReason.DELETED_BY_CUSTOMER.value)


@register(CONTACT_EVENT, STAFF_DELETED_CUSTOMER)
def on_staff_deleted_customer(ctx: EventContext, event: CallbackEvent) -> str:
    """The staff member deleted the customer: close the contact."""
    return _end(ctx, event, LeftReason.REMOVED_BY_STAFF.value)


def _end(ctx: EventContext, event: CallbackEvent, reason: str) -> str:
    customer_id = ctx.customer(event, None)
    staff = ctx.staff(event.user_id)
    ended = channels.end_contact(
        ctx.session,
        ctx.workspace_id,
        customer_id=customer_id,
        staff=staff,
        at=event.created_at,
        reason=reason,
    )
    return f"{reason} customer={customer_id}" if ended else f"{reason}: no open contact"


@register(CHAT_EVENT, "*")
def on_group_changed(ctx: EventContext, event: CallbackEvent) -> str:
    """A customer group was created, changed or dismissed: keep its members in step."""
    groups = Groups(ctx.session, ctx.workspace_id, ctx.cipher)
    if not event.chat_id:
        return "ignored: no chat id"
    if event.change_type == "dismiss":
        group = groups.ensure(event.chat_id)
        return f"group dismissed, {groups.dismiss(group, event.created_at)} members left"
    detail = _group_detail(ctx, event.chat_id)
    if detail is not None:
        group = groups.ensure(
            detail.chat_id,
            name=detail.name,
            owner=detail.owner,
            started_at=datetime.fromtimestamp(detail.create_time, UTC),
        )
        members = [
            Member(
                m.userid,
                m.type == 2,
                datetime.fromtimestamp(m.join_time, UTC),
                m.join_scene,
                m.unionid,
            )
            for m in detail.members
        ]
        joined, left = groups.replace_members(group, members, event.created_at)
        return f"group {event.change_type}: {joined} joined, {left} left"
    group = groups.ensure(event.chat_id)  # WeCom cannot say more now: apply the change list
    if event.update_detail == "del_member":
        left = sum(groups.leave(group, m, event.created_at) for m in event.members)
        return f"group update: {left} left"
    joined = sum(
        groups.join(group, Member(m, is_external(m), event.created_at, event.join_scene))
        for m in event.members
    )
    return f"group {event.change_type}: {joined} joined"


def _group_detail(ctx: EventContext, chat_id: str) -> GroupChatDetail | None:
    if ctx.client is None:
        return None
    try:
        return ctx.client.get_group_chat(chat_id)
    except (WeComApiError, WeComUnreachableError) as exc:
        log.warning(
            "callback %d: group detail unavailable (%s)", ctx.callback_id, type(exc).__name__
        )
        return None


def process_callback(
    session: Session,
    workspace_id: int,
    cipher: PiiCipher,
    client: WeComClient | None,
    callback_id: int,
) -> str | None:
    """Process one stored callback and mark it done; None when it is not pending any more."""
    row = repository.lock_callback(session, workspace_id, callback_id)
    if row is None:
        return None
    event = parse_event(cipher.decrypt(row.payload_enc))
    handler = HANDLERS.get((event.event, event.change_type)) or HANDLERS.get((event.event, "*"))
    ctx = EventContext(session, workspace_id, cipher, client, row.id)
    outcome = handler(ctx, event) if handler is not None else "ignored: no handler"
    _finish(row, "done", outcome)
    return outcome


def _finish(row: WeComCallback, status: str, outcome: str) -> None:
    row.status = status
    row.attempts += 1
    row.outcome = outcome[:300]
    row.processed_at = utcnow()


def record_failure(session: Session, workspace_id: int, callback_id: int, error: str) -> None:
    """Count a failed attempt; after the last one the callback is marked failed for review."""
    row = repository.get_callback(session, workspace_id, callback_id)
    if row is None or row.status != "pending":
        return
    row.attempts += 1
    row.outcome = error[:300]
    if row.attempts >= MAX_CALLBACK_ATTEMPTS:
        row.status = "failed"


# ---- WeCom calls through the general outbox ---------------------------------------------------


def queue_batch_message(
    session: Session, workspace_id: int, *, sender: StaffAccount, text: str
) -> int:
    """Queue a batch message (客户群发) from a staff member to everyone they hold now.

    One outbox message per customer on the `wecom` channel: the worker groups them by sender
    and text into `add_msg_template` calls and decrypts the external userids only then.
    """
    customers = repository.customers_of_staff(session, workspace_id, sender.id)
    batch = uuid.uuid4().hex[:12]
    messaging.enqueue(
        session,
        workspace_id,
        channel=CHANNEL,
        keys=[f"wecom:batch:{batch}:{c}" for c in customers],
        payloads=[{"kind": TEXT, "text": text}] * len(customers),
        send_at=[utcnow()] * len(customers),
        source_kind="wecom_batch",
        customer_ids=customers,
        staff_ids=[sender.id] * len(customers),
    )
    return len(customers)


# ---- contact ways of channel codes -------------------------------------------------------------


@dataclass
class SyncReport:
    """What a contact-way sync changed at WeCom."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    errors: list[str] = field(default_factory=list)


def sync_codes(
    session: Session, workspace_id: int, client: WeComClient, *, at: datetime | None = None
) -> SyncReport:
    """Bring WeCom's contact ways in line with the channel codes, as of `at`.

    Each live code has one multi-person way (state = the code) holding the staff who can take
    joiners now (shifts, daily limits, removals; backups when no primary can) and one way per
    active member for the landing page. Ended or archived codes lose their ways. A code that
    WeCom refuses is reported and the others still sync.
    """
    at = at or utcnow()
    report = SyncReport()
    for summary in channels.list_codes(session, workspace_id):
        try:
            _sync_code(session, workspace_id, client, summary.code, at, report)
        except WeComApiError as exc:
            report.errors.append(f"{summary.code.code}: errcode {exc.errcode}")
    return report


def _sync_code(
    session: Session,
    workspace_id: int,
    client: WeComClient,
    code: ChannelCode,
    at: datetime,
    report: SyncReport,
) -> None:
    pool = channel_repository.code_staff(session, code.id)
    ended = code.status == "archived" or (code.ends_at is not None and at > code.ends_at)
    if ended:
        for member, _ in pool:
            if member.wecom_config_id:
                client.delete_contact_way(member.wecom_config_id)
                channel_repository.set_member_way(session, member.id, config_id="", qr_url="")
                report.deleted += 1
        if code.wecom_config_id:
            client.delete_contact_way(code.wecom_config_id)
            code.wecom_config_id, code.wecom_qr_url, code.wecom_users = "", "", ""
            report.deleted += 1
        return
    by_id = {staff.id: staff.code for _, staff in pool}
    candidates = channels.candidates(session, workspace_id, code, at)
    users = [by_id[i] for i in available_staff(candidates, at)] or [
        staff.code for _, staff in pool if staff.active
    ]
    if users and not code.wecom_config_id:
        way = client.add_contact_way(state=code.code, users=users, remark=code.name)
        code.wecom_config_id, code.wecom_qr_url = way.config_id, way.qr_code
        report.created += 1
    elif users and ",".join(users) != code.wecom_users:
        client.update_contact_way(code.wecom_config_id, users=users)
        report.updated += 1
    code.wecom_users = ",".join(users)
    for member, staff in pool:
        if staff.active and not member.wecom_config_id:
            way = client.add_contact_way(state=code.code, users=[staff.code], remark=code.name)
            channel_repository.set_member_way(
                session, member.id, config_id=way.config_id, qr_url=way.qr_code
            )
            report.created += 1
        elif not staff.active and member.wecom_config_id:
            client.delete_contact_way(member.wecom_config_id)
            channel_repository.set_member_way(session, member.id, config_id="", qr_url="")
            report.deleted += 1


def referral_landing(
    session: Session, workspace_id: int, client: WeComClient | None, code: str, at: datetime
) -> channels.Visit:
    """The landing-page visit of a referral code: its contact way's QR while the campaign runs.

    Like `channels.visit_landing`, never raises for a visitor: an unknown code, an ended
    campaign, no WeCom connection or WeCom refusing to make the way come back as a state.
    """
    found = referrals.lookup(session, workspace_id, code, at)
    if found is None:
        return channels.Visit(UNKNOWN)
    if not found.running:
        return channels.Visit(EXPIRED)
    if client is None and not found.code.wecom_qr_url:
        return channels.Visit(UNAVAILABLE)
    try:
        qr_url = referral_contact_way(session, workspace_id, client, code)
    except (SiyuError, WeComUnreachableError) as exc:
        log.warning("referral landing unavailable: %s", type(exc).__name__)
        return channels.Visit(UNAVAILABLE)
    return channels.Visit(LIVE, channels.LandingTarget(code, "", qr_url, False, False))


def referral_contact_way(
    session: Session, workspace_id: int, client: WeComClient | None, code: str
) -> str:
    """The QR URL of a referral code's WeCom contact way (state = the code), made on first use.

    The way holds the referrer's own advisor when they still have one, else the least busy
    active staff member; a customer who adds through it is the referrer's referral.
    """
    found = referral_repository.get_code(session, workspace_id, code)
    if found is None:
        raise SiyuError("referral.code_not_found", ident=code)
    if not found.wecom_qr_url:
        if client is None:
            raise SiyuError("wecom.not_configured", names="SIYU_WECOM_CORP_ID, SIYU_WECOM_SECRET")
        staff = referrals.referral_staff(session, workspace_id, code)
        way = client.add_contact_way(state=code, users=[staff.code], remark="referral")
        found.wecom_config_id, found.wecom_qr_url = way.config_id, way.qr_code
    return found.wecom_qr_url
