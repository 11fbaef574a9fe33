"""Pure rules that turn the rows of an export into validated orders (no I/O).

Rows are grouped by order id; any bad row rejects its whole order, so an order is never
half-imported. Amounts end as integer fen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from siyu.customers.rules import IdentifierKey, identifier
from siyu.imports.cells import CellError, check_id, clean, parse_fen, parse_quantity, parse_time
from siyu.imports.rejects import Reject
from siyu.models.enums import IdentityKind, OrderStatus, Platform
from siyu.orders.presets import ORDER_FIELDS, Preset

# Tmall and Taobao share one buyer account namespace (the Taobao member name).
BUYER_NAMESPACE = {Platform.TMALL: "taobao"}


@dataclass(slots=True)
class LineDraft:
    """One validated order line."""

    line_key: str
    sku: str
    product_name: str
    quantity: int
    unit_price_fen: int | None
    amount_fen: int | None
    refund_fen: int = 0
    refund_full: bool = False


@dataclass(slots=True)
class OrderDraft:
    """One validated order with its lines, ready to be written."""

    order_id: str
    first_line: int
    ordered_at: datetime
    status: OrderStatus
    raw_status: str = ""
    paid_at: datetime | None = None
    completed_at: datetime | None = None
    refunded_at: datetime | None = None
    identifiers: tuple[IdentifierKey, ...] = ()
    receiver_name: str = ""
    receiver_phone: str = ""
    address: str = ""
    province: str = ""
    city: str = ""
    currency: str = "CNY"
    order_amount_fen: int | None = None
    shipping_fen: int = 0
    discount_fen: int = 0
    order_refund_fen: int | None = None
    lines: list[LineDraft] = field(default_factory=list)
    goods_fen: int = 0
    paid_fen: int = 0
    refunded_fen: int = 0

    def fingerprint(self) -> str:
        """Digest of everything a re-import may change (personal data excluded)."""
        parts: list[object] = [
            self.status, self.raw_status, self.ordered_at, self.paid_at, self.completed_at,
            self.refunded_at, self.currency, self.goods_fen, self.shipping_fen,
            self.discount_fen, self.paid_fen, self.refunded_fen, self.province, self.city,
        ]  # fmt: skip
        for line in self.lines:
            parts += [line.line_key, line.sku, line.product_name, line.quantity]
            parts += [line.unit_price_fen, line.amount_fen, line.refund_fen]
        return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


class _RowError(Exception):
    def __init__(self, column: str, error: CellError) -> None:
        self.column = column
        self.reason = str(error)


def _reason(en: str, zh: str) -> str:
    return str(CellError(en, zh))


class OrderBuilder:
    """Accumulates rows of one file into OrderDrafts and Rejects."""

    def __init__(self, preset: Preset, headers: list[str], file_name: str) -> None:
        self.preset = preset
        self.file_name = file_name
        self.index = preset.resolve_headers(headers)
        self.header_of = {f: headers[i].strip() for f, i in self.index.items()}
        self.tz = preset.tz()
        self.buyer_platform = BUYER_NAMESPACE.get(preset.platform, preset.platform.value)
        self.orders: dict[str, OrderDraft] = {}
        self.bad_orders: dict[str, list[Reject]] = {}
        self.rows_of: dict[str, list[int]] = {}
        self.rejects: list[Reject] = []
        self._line_seq: dict[tuple[str, str], int] = {}
        self.order_columns = [(f, i) for f, i in self.index.items() if f in ORDER_FIELDS]
        self.line_columns = [(f, i) for f, i in self.index.items() if f not in ORDER_FIELDS]

    def _values(self, row: list[str], columns: list[tuple[str, int]]) -> dict[str, str]:
        """Cleaned text of the given fields of a row (a missing cell reads as empty)."""
        width = len(row)
        return {f: clean(row[i]) if i < width else "" for f, i in columns}

    def _time(self, vals: dict[str, str], name: str) -> datetime | None:
        text = vals.get(name)
        if not text:
            return None
        try:
            return parse_time(text, default_tz=self.tz, formats=self.preset.time_formats)
        except CellError as exc:
            raise _RowError(self.header_of[name], exc) from None

    def _fen(self, vals: dict[str, str], name: str) -> int | None:
        text = vals.get(name)
        if not text:
            return None
        try:
            return parse_fen(text)
        except CellError as exc:
            raise _RowError(self.header_of[name], exc) from None

    def add_rows(self, rows: Iterable[tuple[int, list[str]]]) -> int:
        """Consume rows; return how many were read."""
        count = 0
        for line, row in rows:
            count += 1
            self.add_row(line, row)
        return count

    def add_row(self, line: int, row: list[str]) -> None:
        """Validate one row and attach it to its order."""
        i = self.index["order_id"]
        order_id = clean(row[i]) if i < len(row) else ""
        if not order_id:
            self.rejects.append(
                Reject(
                    self.file_name,
                    line,
                    self.header_of["order_id"],
                    _reason("missing order id", "缺少订单号"),
                )
            )
            return
        self.rows_of.setdefault(order_id, []).append(line)
        try:
            check_id_cell(order_id, self.header_of["order_id"])
            draft = self.orders.get(order_id)
            if draft is None:
                draft = self._new_order(order_id, line, self._values(row, self.order_columns))
                self.orders[order_id] = draft
            elif self.preset.order_fields_on_first_row_only and not draft.raw_status:
                self._fill_order_fields(draft, self._values(row, self.order_columns))
            draft.lines.append(self._line(order_id, self._values(row, self.line_columns)))
        except _RowError as err:
            self.bad_orders.setdefault(order_id, []).append(
                Reject(self.file_name, line, err.column, err.reason)
            )

    def _new_order(self, order_id: str, line: int, vals: dict[str, str]) -> OrderDraft:
        ordered_at = self._time(vals, "ordered_at")
        if ordered_at is None:
            raise _RowError(
                self.header_of["ordered_at"], CellError("missing order time", "缺少下单时间")
            )
        draft = OrderDraft(order_id, line, ordered_at, OrderStatus.PAID)
        self._fill_order_fields(draft, vals)
        return draft

    def _fill_order_fields(self, draft: OrderDraft, vals: dict[str, str]) -> None:
        raw_status = vals.get("status", "")
        if raw_status:
            status = self.preset.status_map.get(raw_status)
            if status is None:
                raise _RowError(
                    self.header_of["status"],
                    CellError(
                        f"unknown order status {raw_status!r}", f"未知订单状态 {raw_status!r}"
                    ),
                )
            draft.status, draft.raw_status = status, raw_status
        elif "status" in self.preset.required and not self.preset.order_fields_on_first_row_only:
            raise _RowError(self.header_of["status"], CellError("missing status", "缺少订单状态"))
        draft.paid_at = self._time(vals, "paid_at") or draft.paid_at
        draft.completed_at = self._time(vals, "completed_at") or draft.completed_at
        draft.refunded_at = self._time(vals, "refunded_at") or draft.refunded_at
        draft.order_amount_fen = _first(self._fen(vals, "order_amount"), draft.order_amount_fen)
        draft.shipping_fen = _first(self._fen(vals, "shipping"), draft.shipping_fen) or 0
        draft.discount_fen = _first(self._fen(vals, "discount"), draft.discount_fen) or 0
        draft.order_refund_fen = _first(self._fen(vals, "order_refund"), draft.order_refund_fen)
        get = vals.get
        draft.currency = (get("currency") or draft.currency or self.preset.currency)[:3]
        draft.receiver_name = get("receiver_name") or draft.receiver_name
        draft.address = get("address") or draft.address
        draft.province = get("province", "")[:32] or draft.province
        draft.city = get("city", "")[:64] or draft.city
        phone = get("phone", "")
        draft.receiver_phone = phone or draft.receiver_phone
        found = [
            identifier(IdentityKind.PLATFORM_BUYER, get("buyer_id", ""),
                       platform=self.buyer_platform),
            identifier(IdentityKind.PHONE, phone),
            identifier(IdentityKind.EMAIL, get("email", "")),
            identifier(IdentityKind.UNIONID, get("unionid", "")),
        ]  # fmt: skip
        keys = tuple(dict.fromkeys([*draft.identifiers, *(k for k in found if k is not None)]))
        draft.identifiers = keys

    def _line(self, order_id: str, vals: dict[str, str]) -> LineDraft:
        sku = vals.get("sku") or vals.get("product_id", "")
        name = vals.get("product_name", "")
        quantity_text = vals.get("quantity", "")
        try:
            quantity = parse_quantity(quantity_text) if quantity_text else 1
            line_id = check_id(vals.get("line_id", ""))
        except CellError as exc:
            column = "quantity" if quantity_text and "quantity" in self.header_of else "line_id"
            raise _RowError(self.header_of.get(column, column), exc) from None
        if not line_id:
            base = sku or name or "item"
            seq = self._line_seq.get((order_id, base), 0) + 1
            self._line_seq[(order_id, base)] = seq
            line_id = f"{base[:80]}#{seq}"
        refund_fen = self._fen(vals, "line_refund") or 0
        refund_status = vals.get("line_refund_status", "")
        return LineDraft(
            line_key=line_id,
            sku=sku[:128],
            product_name=name[:300],
            quantity=quantity,
            unit_price_fen=self._fen(vals, "unit_price"),
            amount_fen=self._fen(vals, "line_amount"),
            refund_fen=refund_fen,
            refund_full=self.preset.refund_status_map.get(refund_status) == "full",
        )

    def finish(self) -> tuple[list[OrderDraft], list[Reject]]:
        """Complete every order's totals; return the good orders and all rejects, by line."""
        good: list[OrderDraft] = []
        for order_id, draft in self.orders.items():
            if order_id in self.bad_orders:
                continue
            problem = self._complete(draft)
            if problem is None:
                good.append(draft)
            else:
                self.bad_orders[order_id] = [Reject(self.file_name, draft.first_line, *problem)]
        for order_id, found in self.bad_orders.items():
            self.rejects.extend(found)
            bad_lines = {r.line for r in found}
            self.rejects.extend(
                Reject(
                    self.file_name,
                    line,
                    self.header_of["order_id"],
                    _reason(
                        f"another row of order {order_id} was rejected",
                        f"订单 {order_id} 的其他行被拒绝",
                    ),
                )
                for line in self.rows_of.get(order_id, [])
                if line not in bad_lines
            )
        self.rejects.sort(key=lambda r: r.line)
        return good, self.rejects

    def _complete(self, draft: OrderDraft) -> tuple[str, str] | None:
        """Compute line amounts, totals and refunds; return (column, reason) when impossible."""
        if not draft.identifiers:
            column = self.header_of.get("buyer_id") or self.header_of.get("phone") or "phone"
            return column, _reason(
                "no usable customer identifier (buyer id missing, phone masked or absent)",
                "没有可用的客户标识（缺少买家账号，手机号被隐藏或为空）",
            )
        by_column = self.preset.order_amount_from == "column"
        if by_column and draft.order_amount_fen is None:
            return self.header_of.get("order_amount", "order_amount"), _reason(
                "missing order amount", "缺少订单金额"
            )
        for line in draft.lines:
            if line.amount_fen is None:
                if line.unit_price_fen is not None and self.preset.grain == "line":
                    line.amount_fen = line.unit_price_fen * line.quantity
                elif len(draft.lines) == 1 and draft.order_amount_fen is not None:
                    line.amount_fen = max(draft.order_amount_fen - draft.shipping_fen, 0)
                else:
                    return self.header_of.get("line_amount", "line_amount"), _reason(
                        "missing line amount", "缺少商品金额"
                    )
            if line.unit_price_fen is None:
                line.unit_price_fen = line.amount_fen // line.quantity
            if line.refund_full:
                line.refund_fen = line.amount_fen
        draft.goods_fen = sum(line.amount_fen or 0 for line in draft.lines)
        paid = draft.order_amount_fen if by_column else None
        draft.paid_fen = paid if paid is not None else draft.goods_fen
        if self.preset.grain == "order" and draft.lines[0].refund_full:
            # One row per order: its after-sale status speaks for the whole order, shipping too.
            draft.lines[0].refund_fen, draft.order_refund_fen = 0, draft.paid_fen
        line_refunds = sum(line.refund_fen for line in draft.lines)
        # An order-level refund is the order's total (it may add shipping to line refunds).
        draft.refunded_fen = max(line_refunds, draft.order_refund_fen or 0)
        if draft.refunded_fen > draft.paid_fen or draft.refunded_fen < 0:
            column = "line_refund" if line_refunds else "order_refund"
            return self.header_of.get(column, column), _reason(
                f"refund {draft.refunded_fen} fen exceeds the paid amount {draft.paid_fen} fen",
                f"退款 {draft.refunded_fen} 分超过实付金额 {draft.paid_fen} 分",
            )
        return None


def _first(new: int | None, old: int | None) -> int | None:
    return new if new is not None else old


def check_id_cell(value: str, column: str) -> None:
    """Reject an order id damaged by Excel."""
    try:
        check_id(value)
    except CellError as exc:
        raise _RowError(column, exc) from None
