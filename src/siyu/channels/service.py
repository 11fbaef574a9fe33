"""Use cases of channel codes: create, route a joiner, land a join (never commits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from siyu.channels import repository
from siyu.channels.cards import Card
from siyu.channels.qr import landing_url
from siyu.channels.rules import (
    LIVE,
    UNAVAILABLE,
    UNKNOWN,
    Candidate,
    CodeWindow,
    Outcome,
    Pick,
    Shift,
    join_outcome,
    landing_state,
    parse_shifts,
    pick_staff,
)
from siyu.channels.schemas import ChannelCodeCreate
from siyu.kit.clock import CHINA_TZ
from siyu.kit.crypto import PiiCipher
from siyu.kit.errors import ConflictError, NotFoundError, ValidationError
from siyu.models import ChannelCode, StaffAccount
from siyu.models.enums import Carrier
from siyu.pool.service import Directory

REFERRAL_PREFIX = "ref_"  # referral codes (siyu.referral) share WeCom's state namespace


def create_code(session: Session, workspace_id: int, spec: ChannelCodeCreate) -> ChannelCode:
    """Create a channel code with its staff pool; staff must already exist."""
    if repository.get_code(session, workspace_id, spec.code) is not None:
        raise ConflictError("channels.code_exists", code=spec.code)
    if spec.code.startswith(REFERRAL_PREFIX):
        raise ValidationError("channels.referral_prefix", prefix=REFERRAL_PREFIX)
    if spec.starts_at and spec.ends_at and spec.ends_at <= spec.starts_at:
        raise ValidationError("input.ends_first")
    staff = _require_staff(session, workspace_id, [*spec.staff, *spec.backup_staff])
    directory = Directory(session, workspace_id)
    channel_id = directory.channel(spec.channel, kind=spec.channel_kind.value)
    code = repository.add_code(
        session,
        workspace_id=workspace_id,
        channel_id=channel_id,
        code=spec.code,
        name=spec.name,
        routing=spec.routing,
        welcome_text=spec.welcome_text,
        tag_ids=",".join(spec.tag_ids),
        cost_per_join_fen=spec.cost_per_join_fen,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
    )
    members = [(staff[c].id, False) for c in spec.staff]
    members += [(staff[c].id, True) for c in spec.backup_staff if c not in spec.staff]
    repository.set_code_staff(session, code.id, members)
    return code


def _require_staff(
    session: Session, workspace_id: int, codes: Sequence[str]
) -> dict[str, StaffAccount]:
    found = repository.staff_by_code(session, workspace_id, codes)
    missing = sorted(set(codes) - set(found))
    if missing:
        raise NotFoundError("staff.not_found", ident=", ".join(missing))
    return found


def require_staff(session: Session, workspace_id: int, code: str) -> StaffAccount:
    """Return the staff account with this code (WeCom userid) or raise not-found."""
    return _require_staff(session, workspace_id, [code])[code]


def require_code(session: Session, workspace_id: int, code: str) -> ChannelCode:
    """Return the code or raise a clear not-found error."""
    found = repository.get_code(session, workspace_id, code)
    if found is None:
        raise NotFoundError("channels.code_not_found", ident=code)
    return found


def day_start(at: datetime) -> datetime:
    """The start of `at`'s China day (daily add limits reset at local midnight)."""
    local = at.astimezone(CHINA_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def candidates(
    session: Session, workspace_id: int, code: ChannelCode, at: datetime
) -> list[Candidate]:
    """The code's pool as routing sees it at `at`."""
    pool = repository.code_staff(session, code.id)
    ids = [member.staff_account_id for member, _ in pool]
    shifts = repository.shifts_of(session, ids)
    today = repository.joins_since(session, ids, day_start(at))
    load = repository.open_contacts(session, workspace_id, ids)
    return [
        Candidate(
            staff_id=staff.id,
            position=member.position,
            backup=member.backup,
            active=staff.active,
            shifts=tuple(
                Shift(s.weekday, s.start_minute, s.end_minute) for s in shifts.get(staff.id, ())
            ),
            joins_today=today.get(staff.id, 0),
            capacity=staff.daily_capacity,
            open_contacts=load.get(staff.id, 0),
        )
        for member, staff in pool
    ]


def route(
    session: Session, workspace_id: int, code: str, at: datetime
) -> tuple[ChannelCode, Pick | None]:
    """Choose the staff account for the next joiner of a code and advance its rotation."""
    found = require_code(session, workspace_id, code)
    pick = pick_staff(
        candidates(session, workspace_id, found, at),
        routing=found.routing,
        position=found.next_position,
        at=at,
    )
    if pick is not None:
        found.next_position = pick.next_position
    return found, pick


@dataclass(frozen=True, slots=True)
class Landing:
    """Where a join landed: the contact, the code (if any) and how it was attributed."""

    contact_id: int
    join_id: int
    code: ChannelCode | None
    outcome: str
    created: bool


def land_join(
    session: Session,
    workspace_id: int,
    *,
    customer_id: int,
    staff: StaffAccount,
    state: str,
    joined_at: datetime,
    code: ChannelCode | None = None,
    outcome: str | None = None,
    channel_id: int | None = None,
) -> Landing:
    """Record a customer adding a staff account: contact, attribution and the code's cost.

    An unknown or expired code, a paused one or a staff account out of service still lands
    the joiner; the outcome says what was wrong. A second add of a contact that is still open
    (WeCom re-delivering, an edit) changes nothing. Without a code, `channel_id` (a referral
    campaign's channel) attributes the join.
    """
    if code is None and state:
        code = repository.get_code(session, workspace_id, state)
    if outcome is None:
        window = CodeWindow(code.status, code.starts_at, code.ends_at) if code else None
        outcome = join_outcome(window, state=state, at=joined_at, staff_active=staff.active)
    existing = repository.open_contact(
        session,
        workspace_id,
        customer_id=customer_id,
        carrier=Carrier.WECOM.value,
        carrier_ref=staff.code,
    )
    if existing is not None:
        return Landing(existing.id, 0, code, outcome, created=False)
    channel_id = code.channel_id if code is not None else channel_id
    contact = repository.add_contact(
        session,
        workspace_id=workspace_id,
        customer_id=customer_id,
        carrier=Carrier.WECOM.value,
        carrier_ref=staff.code,
        staff_account_id=staff.id,
        channel_id=channel_id,
        joined_at=joined_at,
    )
    cost = code.cost_per_join_fen if code is not None and outcome == Outcome.ATTRIBUTED else 0
    if cost and channel_id is not None:
        repository.book_cost(
            session, workspace_id, channel_id, joined_at.astimezone(CHINA_TZ).date(), cost
        )
    join = repository.add_join(
        session,
        workspace_id=workspace_id,
        channel_code_id=code.id if code else None,
        channel_id=channel_id,
        contact_id=contact.id,
        customer_id=customer_id,
        staff_account_id=staff.id,
        state=state[:64],
        outcome=outcome,
        cost_fen=cost,
        joined_at=joined_at,
    )
    return Landing(contact.id, join.id, code, outcome, created=True)


def end_contact(
    session: Session,
    workspace_id: int,
    *,
    customer_id: int,
    staff: StaffAccount,
    at: datetime,
    reason: str,
) -> bool:
    """Close the customer's open contact with a staff account; False when there was none."""
    contact = repository.open_contact(
        session,
        workspace_id,
        customer_id=customer_id,
        carrier=Carrier.WECOM.value,
        carrier_ref=staff.code,
    )
    if contact is None:
        return False
    contact.left_at = max(at, contact.joined_at)
    contact.left_reason = reason
    return True


def set_status(session: Session, workspace_id: int, code: str, status: str) -> ChannelCode:
    """Pause, resume (active) or archive a code."""
    if status not in ("active", "paused", "archived"):
        raise ValidationError(
            "input.choice", option="status", value=status[:20], choices="active, paused, archived"
        )
    found = require_code(session, workspace_id, code)
    found.status = status
    return found


def remove_staff(
    session: Session, workspace_id: int, code: str, staff_code: str
) -> tuple[ChannelCode, str]:
    """Take a staff account out of a code's pool (mid-campaign); the rest keep routing.

    Returns the code and the removed member's own WeCom contact way id ("" when none), for
    the caller to delete at WeCom; joins that still arrive through it land all the same.
    """
    found = require_code(session, workspace_id, code)
    pool = repository.code_staff(session, found.id)
    removed = [m for m, s in pool if s.code == staff_code]
    if not removed:
        raise NotFoundError("staff.not_in_code", ident=staff_code)
    config_id = removed[0].wecom_config_id
    repository.delete_member(session, removed[0].id)
    for position, (member, _) in enumerate(m for m in pool if m[0] is not removed[0]):
        member.position = position
    found.next_position = 0
    return found, config_id


def joins_per_code(session: Session, workspace_id: int) -> dict[int, int]:
    """Joins through each code (all time)."""
    return repository.joins_per_code(session, workspace_id)


@dataclass(frozen=True, slots=True)
class LandingTarget:
    """Where the landing page of a code sends a visitor now."""

    code: str
    staff_code: str
    qr_url: str
    backup: bool
    overflow: bool  # nobody was available: the least-busy active member takes them anyway
    staff_id: int = 0


def resolve_landing(session: Session, workspace_id: int, code: str, at: datetime) -> LandingTarget:
    """Route a visitor of <public url>/j/<code> to a staff member's contact way.

    Unknown codes are a not-found error. A code whose staff are all off shift or at their
    limit still sends the visitor somewhere (the least-busy active member), so no joiner is
    turned away; a code without any active member is a clear error.
    """
    found, pick = route(session, workspace_id, code, at)
    pool = repository.code_staff(session, found.id)
    overflow = pick is None
    if pick is None:
        pool_now = candidates(session, workspace_id, found, at)
        active = [c for c in pool_now if c.active]
        if not active:
            raise ValidationError("channels.no_active_staff", code=code)
        chosen = min(active, key=lambda c: (c.joins_today, c.backup, c.position))
        pick = Pick(chosen.staff_id, found.next_position, chosen.backup)
    member, staff = next((m, s) for m, s in pool if s.id == pick.staff_id)
    return LandingTarget(
        found.code,
        staff.code,
        member.wecom_qr_url or found.wecom_qr_url,
        pick.backup,
        overflow,
        staff.id,
    )


@dataclass(frozen=True, slots=True)
class Visit:
    """A landing-page visit: the code's state (live, paused, expired, unknown, unavailable)
    and, when live, where the visitor goes."""

    state: str
    target: LandingTarget | None = None


def visit_landing(
    session: Session, workspace_id: int, code: str, at: datetime, *, order_token: str = ""
) -> Visit:
    """Resolve a landing-page visit of a channel code and record it (visits next to joins).

    Never raises for a visitor: an unknown code, a paused or expired one, or one whose staff
    are all out of service or not yet connected to WeCom each come back as a state.
    """
    found = repository.get_code(session, workspace_id, code)
    if found is None:
        return Visit(UNKNOWN)
    state = landing_state(CodeWindow(found.status, found.starts_at, found.ends_at), at)
    target = None
    if state == LIVE:
        try:
            target = resolve_landing(session, workspace_id, code, at)
        except ValidationError:
            state = UNAVAILABLE
        if target is not None and not target.qr_url:
            state, target = UNAVAILABLE, None  # `siyu wecom sync` has not made its ways yet
    repository.add_visit(
        session,
        workspace_id=workspace_id,
        channel_code_id=found.id,
        staff_account_id=target.staff_id if target is not None else None,
        order_token=order_token[:16],
        visited_at=at,
    )
    return Visit(state, target)


def add_staff(
    session: Session, workspace_id: int, code: str, *, name: str, daily_limit: int
) -> StaffAccount:
    """Add a staff account (or update the name and limit of an existing one)."""
    if not code or len(code) > 64:
        raise ValidationError("staff.code_invalid")
    staff_id = Directory(session, workspace_id).staff_account(code, name=name)
    staff = repository.get_staff(session, workspace_id, staff_id)
    assert staff is not None
    staff.name, staff.daily_capacity = name, daily_limit
    return staff


def set_shifts(session: Session, workspace_id: int, staff_code: str, text: str) -> StaffAccount:
    """Set a staff account's working hours ("1-5 09:00-18:00; 6 10:00-16:00"; "" = always)."""
    staff = _require_staff(session, workspace_id, [staff_code])[staff_code]
    try:
        shifts = parse_shifts(text)
    except ValueError:
        raise ValidationError("staff.shifts_invalid", text=text[:80]) from None
    repository.replace_shifts(
        session, workspace_id, staff.id, [(s.weekday, s.start_minute, s.end_minute) for s in shifts]
    )
    return staff


def set_staff_service(
    session: Session,
    workspace_id: int,
    staff_code: str,
    *,
    active: bool | None = None,
    daily_limit: int | None = None,
) -> StaffAccount:
    """Take a staff account out of service (or back) and set its daily add limit."""
    staff = _require_staff(session, workspace_id, [staff_code])[staff_code]
    if active is not None:
        staff.active = active
    if daily_limit is not None:
        if daily_limit < 0:
            raise ValidationError("staff.limit_negative")
        staff.daily_capacity = daily_limit
    return staff


def order_cards(
    session: Session,
    workspace_id: int,
    cipher: PiiCipher,
    *,
    code: str,
    public_base_url: str,
    since: datetime,
    until: datetime,
    shop_code: str | None = None,
    skip_pool: bool = True,
    limit: int = 5000,
) -> list[Card]:
    """One card per paid or shipped order of a window, each QR carrying an order token.

    The token is a keyed hash of the order number (no personal data in the URL); the order
    reference printed on the card is the order number's last six digits, for the packer.
    """
    require_code(session, workspace_id, code)
    orders = repository.orders_for_cards(
        session,
        workspace_id,
        since=since,
        until=until,
        shop_code=shop_code,
        skip_pool=skip_pool,
        limit=limit,
    )
    return [
        Card(
            url=landing_url(
                public_base_url, code, order_token=cipher.blind_index("card/order", number)[:12]
            ),
            serial=f"{serial:05d}",
            order_ref=number[-6:],
        )
        for serial, (number, _customer) in enumerate(orders, start=1)
    ]


@dataclass(frozen=True, slots=True)
class CodeSummary:
    """A code as listed: its channel, pool and joins."""

    code: ChannelCode
    channel_code: str
    channel_kind: str
    staff: list[str]
    backup_staff: list[str]
    inactive_staff: list[str]
    joins: int
    visits: int = 0


def list_codes(session: Session, workspace_id: int) -> list[CodeSummary]:
    """Every code with its channel, staff pool, landing visits and joins so far."""
    joins = repository.joins_per_code(session, workspace_id)
    visits = repository.visits_per_code(session, workspace_id)
    result = []
    for code, channel in repository.list_codes(session, workspace_id):
        pool = repository.code_staff(session, code.id)
        result.append(
            CodeSummary(
                code,
                channel.code,
                channel.kind,
                [s.code for m, s in pool if not m.backup],
                [s.code for m, s in pool if m.backup],
                [s.code for _, s in pool if not s.active],
                joins.get(code.id, 0),
                visits.get(code.id, 0),
            )
        )
    return result
