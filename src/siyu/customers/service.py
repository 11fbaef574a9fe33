"""Identity resolution: identifiers that match make one customer, and every merge is recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import repository
from siyu.customers.rules import IdentifierKey, explain_merge
from siyu.kit.crypto import PiiCipher, mask
from siyu.loyalty.service import merge_customer as merge_loyalty
from siyu.models import Customer


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
        by_index: dict[str, set[IdentifierKey]] = {}
        for req in requests:
            for key in req.identifiers:
                by_index.setdefault(self.blind_index(key), set()).add(key)
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
        return {
            "workspace_id": self.workspace_id,
            "first_seen_at": comp.first_seen,
            "name_enc": self.cipher.encrypt(comp.name) if comp.name else None,
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
