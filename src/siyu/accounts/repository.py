"""All queries on user accounts, web sessions and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from siyu.models import ApiKey, StaffAccount, UserAccount, WebSession


def get_user(session: Session, workspace_id: int, user_id: int) -> UserAccount | None:
    """Return one user of the workspace."""
    return session.scalar(
        select(UserAccount).where(
            UserAccount.workspace_id == workspace_id, UserAccount.id == user_id
        )
    )


def get_user_by_name(session: Session, username: str) -> UserAccount | None:
    """Return the user with this login name (any workspace)."""
    return session.scalar(select(UserAccount).where(UserAccount.username == username))


def list_users(session: Session, workspace_id: int) -> list[UserAccount]:
    """Return the workspace's users by name."""
    return list(
        session.scalars(
            select(UserAccount)
            .where(UserAccount.workspace_id == workspace_id)
            .order_by(UserAccount.username)
        )
    )


def count_active_admins(session: Session, workspace_id: int) -> int:
    """Count the workspace's active admins."""
    return (
        session.scalar(
            select(func.count())
            .select_from(UserAccount)
            .where(
                UserAccount.workspace_id == workspace_id,
                UserAccount.role == "admin",
                UserAccount.active.is_(True),
            )
        )
        or 0
    )


def add(session: Session, row: UserAccount | WebSession | ApiKey) -> None:
    """Add a new row and flush it (so its id is known)."""
    session.add(row)
    session.flush()


def staff_id_by_code(session: Session, workspace_id: int, code: str) -> int | None:
    """Return the id of the staff account with this code."""
    return session.scalar(
        select(StaffAccount.id).where(
            StaffAccount.workspace_id == workspace_id, StaffAccount.code == code
        )
    )


def staff_codes(session: Session, workspace_id: int) -> dict[int, str]:
    """Map staff account ids to codes."""
    rows = session.execute(
        select(StaffAccount.id, StaffAccount.code).where(StaffAccount.workspace_id == workspace_id)
    )
    return {r[0]: r[1] for r in rows}


def get_session_with_user(
    session: Session, token_hash: str
) -> tuple[WebSession, UserAccount] | None:
    """Return a web session and its user by the token's hash."""
    row = session.execute(
        select(WebSession, UserAccount)
        .join(UserAccount, UserAccount.id == WebSession.user_id)
        .where(WebSession.id == token_hash)
    ).first()
    return None if row is None else (row[0], row[1])


def delete_session(session: Session, token_hash: str) -> None:
    """End one web session."""
    session.execute(delete(WebSession).where(WebSession.id == token_hash))


def delete_user_sessions(session: Session, user_id: int) -> None:
    """End every session of a user (after a password change or deactivation)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def delete_expired_sessions(session: Session, now: datetime) -> None:
    """Drop sessions past their expiry."""
    session.execute(delete(WebSession).where(WebSession.expires_at < now))


def touch_session(session: Session, token_hash: str, now: datetime) -> None:
    """Record that a session was used."""
    session.execute(update(WebSession).where(WebSession.id == token_hash).values(last_seen_at=now))


def get_key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    """Return the API key with this public prefix."""
    return session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))


def get_key(session: Session, workspace_id: int, key_id: int) -> ApiKey | None:
    """Return one API key of the workspace."""
    return session.scalar(
        select(ApiKey).where(ApiKey.workspace_id == workspace_id, ApiKey.id == key_id)
    )


def list_keys(session: Session, workspace_id: int) -> list[ApiKey]:
    """Return the workspace's API keys, newest first."""
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.id.desc())
        )
    )


def touch_key(session: Session, key_id: int, now: datetime) -> None:
    """Record that a key was used."""
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
