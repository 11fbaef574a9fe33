"""Use cases on workspaces."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from siyu.kit.errors import SiyuError, ValidationError
from siyu.models import Workspace
from siyu.workspaces import repository

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def require(session: Session, slug: str) -> Workspace:
    """Return the workspace or raise a bilingual error naming the fix."""
    workspace = repository.get_by_slug(session, slug)
    if workspace is None:
        raise SiyuError("workspace.missing", slug=slug)
    return workspace


def ensure(session: Session, slug: str, *, name: str | None = None) -> Workspace:
    """Return the workspace, creating it when absent."""
    if not _SLUG.fullmatch(slug):
        raise ValidationError("workspace.slug_invalid", slug=slug[:64])
    return repository.get_by_slug(session, slug) or repository.create(
        session, slug=slug, name=name or slug
    )
