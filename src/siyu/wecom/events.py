"""Decrypted WeCom callback messages as typed events (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from siyu.wecom.crypto import parse_xml

CONTACT_EVENT = "change_external_contact"
CHAT_EVENT = "change_external_chat"

ADD_CONTACT = "add_external_contact"
ADD_HALF_CONTACT = "add_half_external_contact"
EDIT_CONTACT = "edit_external_contact"
CUSTOMER_DELETED_STAFF = "del_follow_user"  # the customer deleted (or blocked) the staff member
STAFF_DELETED_CUSTOMER = "del_external_contact"  # the staff member deleted the customer


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """The fields siyu reads from a callback message (personal ids: never log them)."""

    event: str
    change_type: str
    created_at: datetime
    user_id: str = ""
    external_user_id: str = ""
    state: str = ""
    welcome_code: str = ""
    source: str = ""
    chat_id: str = ""
    update_detail: str = ""
    join_scene: int = 0
    quit_scene: int = 0
    members: tuple[str, ...] = ()


def _text(root: object, tag: str) -> str:
    node = root.find(tag)  # type: ignore[attr-defined]
    return (node.text or "").strip() if node is not None else ""


def _int(text: str) -> int:
    return int(text) if text.lstrip("-").isdigit() else 0


def parse_event(message: bytes | str) -> CallbackEvent:
    """Read a decrypted callback message; raises WeComCryptoError when it is not XML."""
    root = parse_xml(message)
    created = _int(_text(root, "CreateTime"))
    members = root.find("MemChangeList")
    return CallbackEvent(
        event=_text(root, "Event") or _text(root, "MsgType"),
        change_type=_text(root, "ChangeType"),
        created_at=datetime.fromtimestamp(created, UTC),
        user_id=_text(root, "UserID"),
        external_user_id=_text(root, "ExternalUserID"),
        state=_text(root, "State"),
        welcome_code=_text(root, "WelcomeCode"),
        source=_text(root, "Source"),
        chat_id=_text(root, "ChatId"),
        update_detail=_text(root, "UpdateDetail"),
        join_scene=_int(_text(root, "JoinScene")),
        quit_scene=_int(_text(root, "QuitScene")),
        members=tuple((i.text or "").strip() for i in members.findall("Item"))
        if members is not None
        else (),
    )
