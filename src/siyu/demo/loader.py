"""Load a simulated brand into the store through the same writers the importers use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from siyu.customers import repository as customers_repository
from siyu.customers.rules import IdentifierKey, identifier
from siyu.customers.service import IdentityResolver, ResolveRequest
from siyu.db import bulk
from siyu.demo.pool_extras import load_pool_extras
from siyu.demo.simulator import DemoBrand
from siyu.kit.crypto import PiiCipher
from siyu.kit.gcpause import gc_paused
from siyu.models import ChannelCost, ConsentRecord, Contact, Product
from siyu.models.enums import IdentityKind, OrderStatus, Platform
from siyu.orders.rules import BUYER_NAMESPACE, LineDraft, OrderDraft
from siyu.orders.service import OrderWriter, Progress, ensure_shop
from siyu.pool.service import Directory

ORDER_CHUNK = 50_000


@dataclass
class LoadSummary:
    """What the loader wrote."""

    counts: dict[str, int] = field(default_factory=dict)
    customer_ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))


def _utc(value: np.datetime64) -> datetime | None:
    if np.isnat(value):
        return None
    seconds = int(value.astype("datetime64[s]").astype(np.int64))
    return datetime.fromtimestamp(seconds, UTC)


class DemoLoader:
    """Writes one DemoBrand into a workspace (inside the caller's transaction)."""

    def __init__(
        self, session: Session, workspace_id: int, cipher: PiiCipher, brand: DemoBrand
    ) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.cipher = cipher
        self.brand = brand
        self.customer_ids = np.zeros(len(brand.customers.phone), dtype=np.int64)
        self.summary = LoadSummary()

    @gc_paused()
    def load(self, progress: Progress | None = None) -> LoadSummary:
        """Load catalogue, channels, orders, contacts, costs and consents."""
        self._products()
        directory = Directory(self.session, self.workspace_id)
        channel_ids = [
            directory.channel(c.code, name=c.name, kind=c.kind) for c in self.brand.channels
        ]
        staff_ids = [
            directory.staff_account(s.code, name=s.name, daily_capacity=s.daily_capacity)
            for s in self.brand.staff
        ]
        self._orders(progress)
        self._follow_merges()
        self._contacts(channel_ids, staff_ids)
        self._follow_merges()
        self._costs(channel_ids)
        self._consents()
        extras = load_pool_extras(
            self.session, self.workspace_id, self.cipher, self.brand, self.customer_ids
        )
        self.summary.counts.update(extras)
        self.summary.customer_ids = self.customer_ids
        return self.summary

    def _products(self) -> None:
        rows = [
            {
                "workspace_id": self.workspace_id,
                "sku": p.sku,
                "name": p.name,
                "role": p.role,
                "price_fen": p.price_fen,
                "unit_cost_fen": p.unit_cost_fen,
            }
            for p in self.brand.products
        ]
        bulk.insert_rows(self.session, Product, rows)
        self.summary.counts["products"] = len(rows)

    def _identifiers(self, order: int, platform: Platform) -> tuple[IdentifierKey, ...]:
        orders, customers = self.brand.orders, self.brand.customers
        who = int(orders.customer[order])
        candidates = [
            identifier(
                IdentityKind.PLATFORM_BUYER,
                str(orders.buyer_id[order]),
                platform=BUYER_NAMESPACE.get(platform, platform.value),
            ),
            None if orders.phone_masked[order] else identifier(
                IdentityKind.PHONE, str(customers.phone[who])
            ),
            identifier(IdentityKind.UNIONID, str(customers.unionid[who]))
            if platform in (Platform.MINI_PROGRAM, Platform.WECOM)
            else None,
        ]  # fmt: skip
        return tuple(k for k in candidates if k is not None)

    def _draft(self, order: int, platform: Platform) -> OrderDraft:
        o, lines, products = self.brand.orders, self.brand.lines, self.brand.products
        first, count = int(o.first_line[order]), int(o.n_lines[order])
        ordered_at = _utc(o.ordered_at[order])
        assert ordered_at is not None
        draft = OrderDraft(
            order_id=str(o.order_no[order]),
            first_line=order,
            ordered_at=ordered_at,
            status=OrderStatus(str(o.status[order])),
            raw_status=str(o.status[order]),
            paid_at=_utc(o.paid_at[order]),
            identifiers=self._identifiers(order, platform),
            goods_fen=int(o.goods_fen[order]),
            shipping_fen=int(o.shipping_fen[order]),
            discount_fen=int(o.discount_fen[order]),
            paid_fen=int(o.paid_fen[order]),
        )
        for i in range(first, first + count):
            product = products[int(lines.product[i])]
            draft.lines.append(
                LineDraft(
                    line_key=f"{product.sku}#{i - first + 1}",
                    sku=product.sku,
                    product_name=product.name,
                    quantity=int(lines.quantity[i]),
                    unit_price_fen=int(lines.unit_price_fen[i]),
                    amount_fen=int(lines.amount_fen[i]),
                )
            )
        return draft

    def _apply_refunds(self, drafts: dict[int, OrderDraft]) -> None:
        refunds = self.brand.refunds
        for k in range(len(refunds.order)):
            draft = drafts.get(int(refunds.order[k]))
            if draft is None:
                continue
            amount = int(refunds.amount_fen[k])
            line = int(refunds.line[k])
            if line >= 0:
                target = draft.lines[
                    line - int(self.brand.orders.first_line[int(refunds.order[k])])
                ]
                target.refund_fen += amount
            else:
                draft.order_refund_fen = (draft.order_refund_fen or 0) + amount
            draft.refunded_fen += amount
            draft.refunded_at = _utc(refunds.refunded_at[k])

    def _orders(self, progress: Progress | None) -> None:
        o = self.brand.orders
        total, done = len(o.order_no), 0
        for shop_index, shop in enumerate(self.brand.shops):
            platform = Platform(shop.platform)
            stored = ensure_shop(self.session, self.workspace_id, code=shop.code, platform=platform)
            stored.name = shop.name
            writer = OrderWriter(
                self.session, self.workspace_id, stored, self.cipher, batch_id=None, source="demo"
            )
            in_shop = np.flatnonzero(o.shop == shop_index)
            for start in range(0, len(in_shop), ORDER_CHUNK):
                chunk = in_shop[start : start + ORDER_CHUNK]
                drafts = {int(i): self._draft(int(i), platform) for i in chunk}
                self._apply_refunds(drafts)
                writer.write(list(drafts.values()))
                self._remember_customers(chunk, writer)
                done += len(chunk)
                if progress is not None:
                    progress("orders", done, total)
        self.summary.counts["orders"] = total
        self.summary.counts["order_lines"] = len(self.brand.lines.order)
        self.summary.counts["refunds"] = len(self.brand.refunds.order)

    def _follow_merges(self) -> None:
        """Point ids of customers merged away (a later record tied two) at their winner."""
        merged = customers_repository.merge_map(self.session, self.workspace_id)
        if merged:
            self.customer_ids = np.array(
                [merged.get(i, i) for i in self.customer_ids.tolist()], dtype=np.int64
            )

    def _remember_customers(self, chunk: NDArray[np.int64], writer: OrderWriter) -> None:
        resolved = writer.last_customers
        who = self.brand.orders.customer[chunk]
        for customer_index, customer_id in zip(who.tolist(), resolved, strict=True):
            if customer_id is not None:
                self.customer_ids[customer_index] = customer_id

    def _contacts(self, channel_ids: list[int], staff_ids: list[int]) -> None:
        c, customers = self.brand.contacts, self.brand.customers
        requests = []
        for k in range(len(c.customer)):
            who = int(c.customer[k])
            keys = [
                identifier(IdentityKind.PHONE, str(customers.phone[who])),
                identifier(IdentityKind.UNIONID, str(customers.unionid[who])),
                identifier(IdentityKind.EXTERNAL_USERID, str(customers.external_userid[who]))
                if str(c.carrier[k]) == "wecom"
                else None,
            ]
            joined = _utc(c.joined_at[k])
            assert joined is not None
            requests.append(
                ResolveRequest(
                    tuple(x for x in keys if x is not None),
                    joined,
                    f"demo contact {k}",
                    str(customers.name[who]),
                )
            )
        resolver = IdentityResolver(self.session, self.workspace_id, self.cipher, source="demo")
        resolved = resolver.resolve(requests)
        rows: list[dict[str, Any]] = []
        for k, customer_id in enumerate(resolved):
            assert customer_id is not None
            self.customer_ids[int(c.customer[k])] = customer_id
            staff = int(c.staff[k])
            rows.append(
                {
                    "workspace_id": self.workspace_id,
                    "customer_id": customer_id,
                    "carrier": str(c.carrier[k]),
                    "carrier_ref": self.brand.staff[staff].code if staff >= 0 else "",
                    "staff_account_id": staff_ids[staff] if staff >= 0 else None,
                    "channel_id": channel_ids[int(c.channel[k])] if c.channel[k] >= 0 else None,
                    "joined_at": requests[k].seen_at,
                    "left_at": _utc(c.left_at[k]),
                    "left_reason": str(c.left_reason[k]) or None,
                }
            )
        bulk.insert_rows(self.session, Contact, rows)
        self.summary.counts["contacts"] = len(rows)

    def _costs(self, channel_ids: list[int]) -> None:
        costs = self.brand.channel_costs
        rows = [
            {
                "workspace_id": self.workspace_id,
                "channel_id": channel_ids[int(costs.channel[k])],
                "day": costs.day[k].astype(object),
                "amount_fen": int(costs.amount_fen[k]),
            }
            for k in range(len(costs.channel))
        ]
        bulk.insert_rows(self.session, ChannelCost, rows)
        self.summary.counts["channel_costs"] = len(rows)

    def _consents(self) -> None:
        consents = self.brand.consents
        rows = []
        for k in range(len(consents.customer)):
            customer_id = int(self.customer_ids[int(consents.customer[k])])
            if customer_id == 0:
                continue
            rows.append(
                {
                    "workspace_id": self.workspace_id,
                    "customer_id": customer_id,
                    "channel": str(consents.channel[k]),
                    "purpose": "marketing",
                    "granted": bool(consents.granted[k]),
                    "source": str(consents.source[k]),
                    "recorded_at": _utc(consents.recorded_at[k]),
                }
            )
        bulk.insert_rows(self.session, ConsentRecord, rows)
        self.summary.counts["consents"] = len(rows)
