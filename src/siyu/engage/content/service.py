"""Use cases of content (never commits): the banned-words list and the check every text
passes before it can be scheduled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from siyu.engage.content.rules import DEFAULT_BANNED, banned_hits
from siyu.engage.policy import repository as settings_repository
from siyu.kit.errors import ValidationError

BANNED_KEY = "banned_words"


def banned_words(session: Session, workspace_id: int) -> list[str]:
    """The workspace's banned words (the defaults until a list is saved)."""
    stored = settings_repository.get_setting(session, workspace_id, BANNED_KEY)
    return list(stored["words"]) if stored else list(DEFAULT_BANNED)


def set_banned_words(session: Session, workspace_id: int, words: list[str]) -> list[str]:
    """Replace the workspace's banned words."""
    cleaned = sorted({w.strip() for w in words if w.strip()})
    settings_repository.put_setting(session, workspace_id, BANNED_KEY, {"words": cleaned})
    return cleaned


def check_texts(session: Session, workspace_id: int, content: Mapping[str, Any]) -> None:
    """Refuse content holding a banned word, naming each word and where it is."""
    hits = banned_hits(content, banned_words(session, workspace_id))
    if hits:
        found = ", ".join(f"{h.field}: {h.word}" for h in hits)
        raise ValidationError("content.banned_words", found=found)
