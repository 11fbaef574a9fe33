"""Publishing profiles: replace a workspace's rows in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from siyu.db import bulk
from siyu.kit.clock import utcnow
from siyu.models import CustomerProfile


def replace_profiles(
    session: Session, workspace_id: int, as_of: date, columns: Mapping[str, Sequence[Any]]
) -> None:
    """Delete the workspace's profiles and insert the new ones (atomic with the caller)."""
    session.execute(delete(CustomerProfile).where(CustomerProfile.workspace_id == workspace_id))
    shared = {"workspace_id": workspace_id, "as_of": as_of, "computed_at": utcnow()}
    bulk.insert_columns(session, CustomerProfile, columns, shared)
