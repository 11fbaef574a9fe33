"""Identity resolution: identifiers that match make one customer, and every merge is recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.analytics import ladder, lifecycle
from siyu.analytics.settings import Locale
from siyu.audit import service as audit
from siyu.audit.rules import Action, Target
from siyu.customers import repository
from siyu.customers.rules import (
    NAME_INDEX_KIND,
    IdentifierKey,
    explain_merge,
    mask_address,
    mask_name,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_token,
    receiver_address,
)
from siyu.customers.schemas import (
    ConsentRead,
    ContactRead,
    CustomerPortrait,
    IdentityRead,
    ProfileRead,
    RevealRead,
    RevealRequest,
)
from siyu.kit.crypto import PiiCipher, mask
from siyu.kit.errors import NotFoundError, ValidationError
from siyu.loyalty.service import merge_customer as merge_loyalty
from siyu.models import ConsentRecord, Customer
from siyu.models.enums import IdentityKind, Platform


@dataclass(frozen=True, slots=True)
class ResolveRequest:
    """The identifiers seen together on one record (an order, a contact), and when."""

    identifiers: tuple[IdentifierKey, ...]
    seen_at: datetime
    label: str
    name: str | None = None


@dataclass(slots=True)
class _Component:
    owners: set[int] = field(default_factory=set)
    first_seen: datetime | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class _MergeEvent:
    loser: int
    key: IdentifierKey
    label: str


class _UnionFind:
    """Union-find over identifier keys that remembers which existing customers each set holds."""

    def __init__(self, owners: dict[IdentifierKey, int]) -> None:
        self.parent: dict[IdentifierKey, IdentifierKey] = {}
        self.components: dict[IdentifierKey, _Component] = {}
        self.events: list[_MergeEvent] = []
        self._owners = owners

    def find(self, key: IdentifierKey) -> IdentifierKey:
        parent = self.parent.get(key)
        if parent is None:
            self.parent[key] = key
            owner = self._owners.get(key)
            self.components[key] = _Component(owners={owner} if owner is not None else set())
            return key
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: IdentifierKey, b: IdentifierKey, label: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        ca, cb = self.components[ra], self.components[rb]
        if ca.owners and cb.owners and ca.owners != cb.owners:
            winner = min(ca.owners | cb.owners)
            for side, key in ((ca, a), (cb, b)):
                self.events.extend(_MergeEvent(o, key, label) for o in side.owners if o != winner)
        self.parent[rb] = ra
        ca.owners |= cb.owners
        ca.first_seen = _earliest(ca.first_seen, cb.first_seen)
        ca.name = ca.name or cb.name
        del self.components[rb]

    def note(self, key: IdentifierKey, seen: datetime, name: str | None) -> None:
        comp = self.components[self.find(key)]
        comp.first_seen = _earliest(comp.first_seen, seen)
        comp.name = comp.name or name


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class IdentityResolver:
    """Resolves batches of records to customers inside the caller's transaction."""

    def __init__(self, session: Session, workspace_id: int, cipher: PiiCipher, *, source: str):
        self.session = session
        self.workspace_id = workspace_id
        self.cipher = cipher
        self.source = source
        self._index_cache: dict[IdentifierKey, str] = {}

    def blind_index(self, key: IdentifierKey) -> str:
        """Return the blind index of an identifier (cached for the batch)."""
        found = self._index_cache.get(key)
        if found is None:
            found = self.cipher.blind_index(f"{key.kind}/{key.platform}", key.value)
            self._index_cache[key] = found
        return found

    def resolve(self, requests: Sequence[ResolveRequest]) -> list[int | None]:
        """Return the customer id for each request (None when it has no identifier)."""
        owners = self._existing_owners(requests)
        uf = _UnionFind(owners)
        for req in requests:
            if not req.identifiers:
                continue
            first = req.identifiers[0]
            for other in req.identifiers[1:]:
                uf.union(first, other, req.label)
            uf.note(first, req.seen_at, req.name)
        root_customer = self._settle(uf)
        self._create_identities(uf, owners, root_customer)
        return [
            root_customer[uf.find(req.identifiers[0])] if req.identifiers else None
            for req in requests
        ]

    def _existing_owners(self, requests: Sequence[ResolveRequest]) -> dict[IdentifierKey, int]:
        # every key of the ring: rows a rotation has not re-indexed yet are found too
        by_index: dict[str, set[IdentifierKey]] = {}
        multi = len(self.cipher.key_ids) > 1
        for req in requests:
            for key in req.identifiers:
                by_index.setdefault(self.blind_index(key), set()).add(key)
                if multi:
                    for other in self.cipher.blind_indexes(f"{key.kind}/{key.platform}", key.value):
                        by_index.setdefault(other, set()).add(key)
        owners: dict[IdentifierKey, int] = {}
        for kind, platform, index, customer_id in repository.find_identities(
            self.session, self.workspace_id, by_index
        ):
            for key in by_index[index]:
                if key.kind == kind and key.platform == platform:
                    owners[key] = customer_id
        return owners

    def _settle(self, uf: _UnionFind) -> dict[IdentifierKey, int]:
        """Create customers for new components, apply merges, move first-seen times earlier."""
        new_roots = [root for root, comp in uf.components.items() if not comp.owners]
        new_ids = repository.create_customers(
            self.session, [self._customer_row(uf.components[root]) for root in new_roots]
        )
        root_customer = dict(zip(new_roots, new_ids, strict=True))
        winners: dict[int, int] = {}
        earlier: list[tuple[int, datetime]] = []
        for root, comp in uf.components.items():
            if comp.owners:
                winner = min(comp.owners)
                root_customer[root] = winner
                winners.update({o: winner for o in comp.owners if o != winner})
                if comp.first_seen is not None:
                    earlier.append((winner, comp.first_seen))
        self._apply_merges(uf.events, winners)
        self._lower_first_seen(earlier)
        return root_customer

    def _customer_row(self, comp: _Component) -> dict[str, Any]:
        name = normalise_name(comp.name) if comp.name else None
        return {
            "workspace_id": self.workspace_id,
            "first_seen_at": comp.first_seen,
            "name_enc": self.cipher.encrypt(comp.name) if comp.name else None,
            "name_index": self.cipher.blind_index(NAME_INDEX_KIND, name) if name else None,
        }

    def _apply_merges(self, events: list[_MergeEvent], winners: dict[int, int]) -> None:
        done: set[int] = set()
        for event in events:
            if event.loser in done or event.loser not in winners:
                continue
            done.add(event.loser)
            winner = winners[event.loser]
            # Loyalty first: it holds money and points that must move, not cascade away.
            merge_loyalty(self.session, self.workspace_id, loser=event.loser, winner=winner)
            repository.reassign_customer(
                self.session, self.workspace_id, loser=event.loser, winner=winner
            )
            repository.record_merge(
                self.session,
                {
                    "workspace_id": self.workspace_id,
                    "winner_id": winner,
                    "loser_id": event.loser,
                    "identity_kind": event.key.kind,
                    "identity_platform": event.key.platform,
                    "identity_masked": mask(event.key.value),
                    "source": f"{event.label} ({self.source})"[:200],
                },
            )

    def _lower_first_seen(self, candidates: list[tuple[int, datetime]]) -> None:
        known: dict[int, datetime | None] = {}
        ids = [cid for cid, _ in candidates]
        for start in range(0, len(ids), repository.LOOKUP_CHUNK):
            chunk = ids[start : start + repository.LOOKUP_CHUNK]
            rows = self.session.execute(
                select(Customer.id, Customer.first_seen_at).where(Customer.id.in_(chunk))
            )
            known.update({row[0]: row[1] for row in rows})
        updates = [
            (cid, seen) for cid, seen in candidates if (k := known.get(cid)) is None or seen < k
        ]
        repository.lower_first_seen(self.session, updates)

    def _create_identities(
        self,
        uf: _UnionFind,
        owners: dict[IdentifierKey, int],
        root_customer: dict[IdentifierKey, int],
    ) -> None:
        rows = [
            {
                "workspace_id": self.workspace_id,
                "customer_id": root_customer[uf.find(key)],
                "kind": key.kind,
                "platform": key.platform,
                "blind_index": self.blind_index(key),
                "value_enc": self.cipher.encrypt(key.value),
                "masked": mask(key.value),
                "source": self.source,
            }
            for key in uf.parent
            if key not in owners
        ]
        repository.create_identities(self.session, rows)


def explain_customer(session: Session, workspace_id: int, customer_id: int) -> list[dict[str, str]]:
    """Explain, in both languages, every merge that made this customer."""
    return [
        explain_merge(
            winner_id=m.winner_id,
            loser_id=m.loser_id,
            kind=m.identity_kind,
            platform=m.identity_platform,
            masked=m.identity_masked,
            source=m.source,
        )
        for m in repository.list_merges(session, workspace_id, customer_id)
    ]


def search(session: Session, workspace_id: int, cipher: PiiCipher, query: str) -> list[int]:
    """Customer ids matching an id, phone, e-mail, buyer id, unionid or exact full name."""
    text = query.strip()
    found: set[int] = set()
    digits = text.removeprefix("#")
    if digits.isdigit() and len(digits) <= 10:
        found.add(int(digits))
    candidates = _candidates(text)
    # under every key of the ring, so a rotation's re-indexing never hides anyone
    indexes = [i for ns, value in candidates for i in cipher.blind_indexes(ns, value)]
    # A phone number or an e-mail address is no name: one query instead of two.
    name = None if candidates and candidates[0][0] in _NOT_NAMES else normalise_name(text)
    names = cipher.blind_indexes(NAME_INDEX_KIND, name) if name is not None else []
    found.update(repository.find_customer_ids(session, workspace_id, indexes, names))
    return sorted(found)


_NOT_NAMES = (f"{IdentityKind.PHONE.value}/", f"{IdentityKind.EMAIL.value}/")


def _candidates(text: str) -> list[tuple[str, str]]:
    """(blind-index namespace, normalised value) for every identifier the text could be."""
    found: list[tuple[str, str]] = []
    phone = normalise_phone(text)
    if phone is not None:
        found.append((f"{IdentityKind.PHONE.value}/", phone))
    email = normalise_email(text)
    if email is not None:
        found.append((f"{IdentityKind.EMAIL.value}/", email))
    token = normalise_token(text)
    if token is not None:
        found += [(f"{kind.value}/", token) for kind in (IdentityKind.UNIONID,
                  IdentityKind.EXTERNAL_USERID)]  # fmt: skip
        found += [(f"{IdentityKind.PLATFORM_BUYER.value}/{ns}", token) for ns in BUYER_NAMESPACES]
    return found


# Buyer ids live in one namespace per platform; Tmall buyers are Taobao members.
BUYER_NAMESPACES = tuple(p.value for p in Platform if p is not Platform.TMALL)


def index_names(session: Session, cipher: PiiCipher, *, chunk: int = 5_000) -> int:
    """Fill the name index of customers stored before it existed; return how many."""
    done, after = 0, 0
    while rows := repository.customers_without_name_index(session, after_id=after, limit=chunk):
        updates = []
        for customer_id, blob in rows:
            name = normalise_name(cipher.decrypt(blob))
            if name is not None:
                updates.append((customer_id, cipher.blind_index(NAME_INDEX_KIND, name)))
        repository.set_name_indexes(session, updates)
        done += len(updates)
        after = rows[-1][0]
    return done


def masked_name(cipher: PiiCipher, customer: Customer) -> str | None:
    """The customer's name, masked (decrypted in memory only)."""
    if customer.name_enc is None:
        return None
    return mask_name(cipher.decrypt(customer.name_enc))


def _latest_address(
    session: Session, workspace_id: int, cipher: PiiCipher, customer_id: int
) -> str | None:
    blob = repository.latest_receiver(session, workspace_id, customer_id)
    if blob is None:
        return None
    return receiver_address(cipher.decrypt(blob)) or None


def _masked_address(
    session: Session, workspace_id: int, cipher: PiiCipher, customer_id: int
) -> str | None:
    found = _latest_address(session, workspace_id, cipher, customer_id)
    return mask_address(found) if found else None


def reveal(
    session: Session,
    workspace_id: int,
    cipher: PiiCipher,
    customer_id: int,
    request: RevealRequest,
    *,
    actor: str,
) -> RevealRead:
    """Decrypt one personal value of a customer for a caller allowed to see it; audited."""
    customer = repository.get_customer(session, workspace_id, customer_id)
    if customer is None:
        raise NotFoundError("customer.not_found", ident=customer_id)
    details: dict[str, str | int] = {"field": request.field}
    value: str | None = None
    if request.field == "name":
        value = cipher.decrypt(customer.name_enc) if customer.name_enc is not None else None
    elif request.field == "address":
        value = _latest_address(session, workspace_id, cipher, customer_id)
    else:
        if request.identity_id is None:
            raise ValidationError("pii.field_unknown", field="identity")
        identity = repository.get_identity(session, workspace_id, customer_id, request.identity_id)
        value = cipher.decrypt(identity.value_enc) if identity is not None else None
        details |= {"identity_id": request.identity_id,
                    "kind": identity.kind if identity is not None else ""}  # fmt: skip
    if not value:
        raise NotFoundError("pii.missing", customer=customer_id, field=request.field)
    audit.record(session, actor, Action.REVEAL, Target("customer", customer_id), details,
                 workspace_id=workspace_id)  # fmt: skip
    return RevealRead(field=request.field, identity_id=request.identity_id, value=value)


def latest_consent(consents: Sequence[ConsentRecord]) -> dict[str, bool]:
    """The latest marketing consent per channel (records come newest first)."""
    latest: dict[str, bool] = {}
    for record in consents:
        if record.purpose == "marketing":
            latest.setdefault(record.channel, record.granted)
    return latest


def portrait(
    session: Session, workspace_id: int, cipher: PiiCipher, customer_id: int, *, locale: str
) -> CustomerPortrait:
    """Everything known of one customer, personal data masked."""
    customer = repository.get_customer(session, workspace_id, customer_id)
    if customer is None:
        raise NotFoundError("customer.not_found", ident=customer_id)
    consents = repository.list_consents(session, workspace_id, customer_id)
    return CustomerPortrait(
        id=customer.id,
        name_masked=masked_name(cipher, customer),
        address_masked=_masked_address(session, workspace_id, cipher, customer_id),
        first_seen_at=customer.first_seen_at,
        identities=[
            IdentityRead(
                id=i.id, kind=i.kind, platform=i.platform, masked=i.masked, source=i.source
            )
            for i in repository.list_identities(session, workspace_id, customer_id)
        ],
        merges=[m[locale] for m in explain_customer(session, workspace_id, customer_id)],
        profile=_profile(session, workspace_id, customer_id, locale),
        contacts=[
            ContactRead(
                carrier=r[0],
                carrier_ref=r[1],
                staff_code=r[2],
                staff_name=r[3],
                channel_code=r[4],
                channel_name=r[5],
                joined_at=r[6],
                left_at=r[7],
                left_reason=r[8],
            )
            for r in repository.list_contacts(session, workspace_id, customer_id)
        ],
        consents=[
            ConsentRead(
                channel=c.channel,
                purpose=c.purpose,
                granted=c.granted,
                source=c.source,
                recorded_at=c.recorded_at,
            )
            for c in consents
        ],
        current_consent=latest_consent(consents),
    )


def _profile(
    session: Session, workspace_id: int, customer_id: int, locale: str
) -> ProfileRead | None:
    found = repository.get_profile(session, workspace_id, customer_id)
    if found is None:
        return None
    lang: Locale = "en" if locale == "en" else "zh-CN"
    stage = lifecycle.STAGES.index(found.stage) if found.stage in lifecycle.STAGES else 0
    reason = lifecycle.STAGE_LABELS[lang][stage]
    if stage and found.cycle_days and found.days_since_purchase is not None:
        reason = lifecycle.explain_stage(stage, found.days_since_purchase, found.cycle_days, lang)
    tier = ladder.TIERS.index(found.tier) if found.tier in ladder.TIERS else 0
    channel = (
        repository.channel_code(session, workspace_id, found.entry_channel_id)
        if found.entry_channel_id is not None
        else None
    )
    return ProfileRead(
        **{k: getattr(found, k) for k in _PROFILE_FIELDS},
        tier_label=ladder.TIER_LABELS[lang][tier],
        stage_label=lifecycle.STAGE_LABELS[lang][stage],
        stage_reason=reason,
        entry_channel=channel,
    )


_PROFILE_FIELDS = (
    "as_of", "tier", "stage", "cycle_days", "days_since_purchase", "rfm_r", "rfm_f", "rfm_m",
    "rfm_segment", "n_purchases", "net_paid_fen", "p_alive", "expected_purchases_365d",
    "expected_spend_fen", "clv_fen", "next_purchase_at", "in_pool",
)  # fmt: skip
