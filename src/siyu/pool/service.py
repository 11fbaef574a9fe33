"""Use cases of the private pool: channels, staff, costs and contacts (never commits)."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from siyu.customers.rules import IdentifierKey, identifier
from siyu.customers.service import IdentityResolver, ResolveRequest
from siyu.imports.cells import CellError, parse_fen, parse_time
from siyu.imports.readers import read_table
from siyu.imports.results import TableImportResult
from siyu.imports.tabular import RowError, RowReader, choice
from siyu.kit.clock import CHINA_TZ
from siyu.kit.crypto import PiiCipher
from siyu.models.enums import IdentityKind
from siyu.pool import repository
from siyu.pool.rules import (
    CARRIER_WORDS,
    CHANNEL_KIND_WORDS,
    CONTACT_COLUMNS,
    COST_COLUMNS,
    LEFT_WORDS,
)

_time = partial(parse_time, default_tz=CHINA_TZ, formats=("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"))
_carrier = choice(CARRIER_WORDS, "carrier")
_left = choice(LEFT_WORDS, "left reason")
_kind = choice(CHANNEL_KIND_WORDS, "channel kind")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.replace("/", "-")[:10])
    except ValueError:
        raise CellError(f"not a date: {text[:20]!r}", f"不是日期：{text[:20]!r}") from None


class Directory:
    """Channel and staff codes of a workspace, created on first use."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.channels = repository.channel_ids(session, workspace_id)
        self.staff = repository.staff_ids(session, workspace_id)

    def channel(self, code: str, *, name: str = "", kind: str = "other") -> int:
        """Return the channel's id, creating it when new."""
        if code not in self.channels:
            self.channels[code] = repository.create_channel(
                self.session, self.workspace_id, code=code, name=name or code, kind=kind
            )
        return self.channels[code]

    def staff_account(self, code: str, **values: Any) -> int:
        """Return the staff account's id, creating it when new."""
        if code not in self.staff:
            self.staff[code] = repository.create_staff(
                self.session, self.workspace_id, code, **values
            )
        return self.staff[code]


def import_costs(session: Session, *, workspace_id: int, path: Path) -> TableImportResult:
    """Import daily spend per channel; a later file replaces the amount of the same day."""
    reader = RowReader(read_table(path), COST_COLUMNS, "costs")
    directory = Directory(session, workspace_id)
    result = TableImportResult(path.name)
    amounts: dict[tuple[int, date], int] = {}
    for line in reader.rows():
        result.rows += 1
        try:
            day = reader.require("day", _day)
            amount = reader.require("amount", parse_fen)
            if amount < 0:
                raise RowError(reader.header["amount"], "negative cost | 费用为负")
            kind = reader.parse("channel_kind", _kind) or "other"
            code = reader.require("channel", str)[:64]
        except RowError as err:
            result.rejects.append(err.reject(path.name, line))
            continue
        channel_id = directory.channel(code, name=reader.text("channel_name"), kind=kind)
        amounts[(channel_id, day)] = amount
    stored = repository.costs_by_key(session, workspace_id, sorted({c for c, _ in amounts}))
    inserts, updates = [], []
    for (channel_id, day), amount in amounts.items():
        found = stored.get((channel_id, day))
        if found is None:
            inserts.append(
                {"workspace_id": workspace_id, "channel_id": channel_id, "day": day,
                 "amount_fen": amount}
            )  # fmt: skip
        elif found[1] != amount:
            updates.append({"cid": found[0], "amount_fen": amount})
        else:
            result.unchanged += 1
    repository.insert_costs(session, inserts)
    repository.update_cost_amounts(session, updates)
    result.created, result.updated = len(inserts), len(updates)
    return result


def _contact_identifiers(reader: RowReader) -> tuple[IdentifierKey, ...]:
    found = (
        identifier(IdentityKind.EXTERNAL_USERID, reader.text("external_userid")),
        identifier(IdentityKind.UNIONID, reader.text("unionid")),
        identifier(IdentityKind.PHONE, reader.text("phone")),
    )
    keys = tuple(k for k in found if k is not None)
    if not keys:
        column = reader.header.get("external_userid") or reader.header.get("phone") or "phone"
        raise RowError(
            column, "no usable identifier (external_userid, unionid or phone) | 没有可用的客户标识"
        )
    return keys


def import_contacts(
    session: Session, *, workspace_id: int, cipher: PiiCipher, path: Path
) -> TableImportResult:
    """Import pool contacts (WeCom contacts, group members, followers, mini-program members)."""
    reader = RowReader(read_table(path), CONTACT_COLUMNS, "contacts")
    directory = Directory(session, workspace_id)
    result = TableImportResult(path.name)
    requests: list[ResolveRequest] = []
    drafts: list[dict[str, Any]] = []
    for line in reader.rows():
        result.rows += 1
        try:
            keys = _contact_identifiers(reader)
            draft = _contact_draft(reader, directory)
        except RowError as err:
            result.rejects.append(err.reject(path.name, line))
            continue
        requests.append(ResolveRequest(keys, draft["joined_at"], f"contact line {line}",
                                       reader.text("name") or None))  # fmt: skip
        drafts.append(draft)
    resolver = IdentityResolver(session, workspace_id, cipher, source=f"contacts {path.name}")
    customers = resolver.resolve(requests)
    _upsert_contacts(session, workspace_id, drafts, customers, result)
    return result


def _contact_draft(reader: RowReader, directory: Directory) -> dict[str, Any]:
    carrier = reader.require("carrier", _carrier)
    joined_at: datetime = reader.require("joined_at", _time)
    left_at = reader.parse("left_at", _time)
    if left_at is not None and left_at < joined_at:
        raise RowError(reader.header["left_at"], "left before joining | 离开时间早于加入时间")
    staff_code = reader.text("staff")[:64]
    channel_code = reader.text("channel")[:64]
    kind = reader.parse("channel_kind", _kind) or "other"
    return {
        "carrier": carrier,
        "carrier_ref": (reader.text("group") or staff_code)[:128],
        "staff_account_id": directory.staff_account(staff_code) if staff_code else None,
        "channel_id": directory.channel(channel_code, kind=kind) if channel_code else None,
        "joined_at": joined_at,
        "left_at": left_at,
        "left_reason": reader.parse("left_reason", _left) if left_at else None,
    }


def _upsert_contacts(
    session: Session,
    workspace_id: int,
    drafts: list[dict[str, Any]],
    customers: list[int | None],
    result: TableImportResult,
) -> None:
    stored = repository.contacts_by_key(session, workspace_id, [c for c in customers if c])
    inserts: dict[tuple[int, str, str, datetime], dict[str, Any]] = {}
    for draft, customer_id in zip(drafts, customers, strict=True):
        assert customer_id is not None, "every contact draft has an identifier"
        key = (customer_id, draft["carrier"], draft["carrier_ref"], draft["joined_at"])
        contact = stored.get(key)
        if contact is None:
            inserts[key] = {"workspace_id": workspace_id, "customer_id": customer_id, **draft}
            continue
        changes = {f: draft[f] for f in ("left_at", "left_reason", "channel_id", "staff_account_id")
                   if draft[f] is not None and getattr(contact, f) != draft[f]}  # fmt: skip
        for field, value in changes.items():
            setattr(contact, field, value)
        if changes:
            result.updated += 1
        else:
            result.unchanged += 1
    repository.insert_contacts(session, list(inserts.values()))
    result.created = len(inserts)
