"""Pure referral rules: fraud checks, rewards earned, the referral tree and the K-factor."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from siyu.referral.schemas import CampaignRules, RewardRule

CODE_PREFIX = "ref_"  # referral codes share WeCom's state with channel codes; this keeps them apart


@dataclass(frozen=True, slots=True)
class Signals:
    """Keyed hashes of what a referee used (empty when unknown)."""

    referral_id: int
    referee_id: int
    phone: str = ""
    address: str = ""
    device: str = ""


@dataclass(frozen=True)
class ReferrerSignals:
    """Keyed hashes of the referrer's own phones, addresses and devices."""

    customer_id: int
    phones: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    devices: frozenset[str] = frozenset()


def fraud_reasons(
    referee: Signals,
    referrer: ReferrerSignals,
    siblings: Sequence[Signals],
    *,
    campaign_others: Sequence[Signals] = (),
    referrals_today: int,
    rewarded_before: int,
    already_in_pool: bool,
    rules: CampaignRules,
) -> list[str]:
    """Why a referral's rewards should be held for review (empty: none).

    `siblings` are the referrer's other referrals; `campaign_others` those of other
    referrers. Identity resolution already makes one person of matching phones or unionids,
    so "self_referral" also catches a referrer who came back under another account.
    """
    reasons = []
    if referee.referee_id == referrer.customer_id:
        reasons.append("self_referral")
    if already_in_pool:
        reasons.append("already_in_pool")
    for name, mine, theirs in (
        ("phone", referee.phone, referrer.phones),
        ("address", referee.address, referrer.addresses),
        ("device", referee.device, referrer.devices),
    ):
        if mine and mine in theirs:
            reasons.append(f"same_{name}_as_referrer")
    others = [s for s in siblings if s.referral_id != referee.referral_id]
    everyone = others + [s for s in campaign_others if s.referral_id != referee.referral_id]
    if referee.phone and any(
        s.phone == referee.phone and s.referee_id != referee.referee_id for s in everyone
    ):
        reasons.append("shared_phone")
    if referee.device and any(
        s.device == referee.device and s.referee_id != referee.referee_id for s in everyone
    ):
        reasons.append("shared_device")
    same_address = sum(1 for s in others if referee.address and s.address == referee.address)
    if same_address + 1 > rules.max_same_address:
        reasons.append("shared_address")
    if referrals_today > rules.max_referrals_per_day:
        reasons.append("daily_limit")
    if rewarded_before >= rules.max_rewarded_referrals:
        reasons.append("reward_cap")
    return reasons


def earned(rules: CampaignRules, trigger: str, *, order_fen: int = 0) -> list[RewardRule]:
    """The rewards a trigger earns ("join" or "first_order" of `order_fen`)."""
    return [
        r
        for r in rules.rewards
        if r.trigger == trigger and (trigger != "first_order" or order_fen >= r.min_order_fen)
    ]


@dataclass
class KFactor:
    """A campaign's viral figures: K = referred customers per code holder."""

    holders: int
    referrers: int
    joiners: int
    converted: int
    flagged: int
    generations: int

    @property
    def k_join(self) -> float:
        """Referred joiners (not flagged) per code holder."""
        return self.joiners / self.holders if self.holders else 0.0

    @property
    def k_order(self) -> float:
        """Referred first orders (not flagged) per code holder."""
        return self.converted / self.holders if self.holders else 0.0

    @property
    def invites_per_referrer(self) -> float:
        """Joiners per customer who referred anyone."""
        return self.joiners / self.referrers if self.referrers else 0.0


@dataclass(frozen=True, slots=True)
class Edge:
    """One referral as the tree sees it."""

    referrer: int
    referee: int
    converted: bool
    flagged: bool


def k_factor(holders: int, edges: Iterable[Edge]) -> KFactor:
    """K-factor of a campaign from its code holders and referrals (flagged ones excluded)."""
    every = list(edges)
    clean = [e for e in every if not e.flagged]
    return KFactor(
        holders=holders,
        referrers=len({e.referrer for e in clean}),
        joiners=len({e.referee for e in clean}),
        converted=len({e.referee for e in clean if e.converted}),
        flagged=len(every) - len(clean),
        generations=max(generations(clean).values(), default=0),
    )


def generations(edges: Sequence[Edge]) -> dict[int, int]:
    """Each referee's generation: 1 for those referred by a root referrer, 2 for theirs, …"""
    parent = {e.referee: e.referrer for e in edges if e.referee != e.referrer}
    depth: dict[int, int] = {}
    for node in parent:
        chain, current = [], node
        while current in parent and current not in depth and current not in chain:
            chain.append(current)
            current = parent[current]
        base = depth.get(current, 0)
        for offset, member in enumerate(reversed(chain), start=1):
            depth[member] = base + offset
    return depth


@dataclass
class TreeNode:
    """A customer in the referral tree with the customers they brought."""

    customer_id: int
    converted: bool = False
    flagged: bool = False
    children: list[TreeNode] = field(default_factory=list)


def tree(edges: Sequence[Edge]) -> list[TreeNode]:
    """The referral forest: roots are referrers nobody referred (cycles are cut)."""
    children: dict[int, list[Edge]] = defaultdict(list)
    referred = set()
    for e in edges:
        if e.referee != e.referrer:
            children[e.referrer].append(e)
            referred.add(e.referee)
    seen: set[int] = set()

    def build(customer: int, edge: Edge | None) -> TreeNode:
        seen.add(customer)
        node = TreeNode(
            customer, edge.converted if edge else False, edge.flagged if edge else False
        )
        for child in sorted(children.get(customer, ()), key=lambda e: e.referee):
            if child.referee not in seen:
                node.children.append(build(child.referee, child))
        return node

    return [build(root, None) for root in sorted(set(children) - referred)]
