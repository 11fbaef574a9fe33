"""Queries on workspaces."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.models import Workspace


def get_by_slug(session: Session, slug: str) -> Workspace | None:
    """Return the workspace with this slug."""
    return session.scalar(select(Workspace).where(Workspace.slug == slug))


def list_all(session: Session) -> list[Workspace]:
    """Return every workspace."""
    return list(session.scalars(select(Workspace).order_by(Workspace.id)))


def create(session: Session, *, slug: str, name: str) -> Workspace:
    """Add a workspace."""
    workspace = Workspace(slug=slug, name=name)
    session.add(workspace)
    session.flush()
    return workspace


def get(session: Session, workspace_id: int) -> Workspace | None:
    """The workspace with this id, or None."""
    return session.get(Workspace, workspace_id)
