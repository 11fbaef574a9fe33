"""API shapes of data-subject requests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SubjectCustomer(BaseModel):
    """The customer row, name in clear."""

    id: int
    name: str | None
    first_seen_at: str | None
    created_at: str | None


class SubjectIdentity(BaseModel):
    """One identifier in clear."""

    kind: str
    platform: str
    value: str


class DataSubjectExport(BaseModel):
    """Everything siyu holds on one person (identities in clear: for that person only)."""

    format: str = Field(description="siyu.data-subject-export/1")
    exported_at: str
    customer: SubjectCustomer
    identities: list[SubjectIdentity]
    loyalty_statement: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="Every row naming the person, by table; encrypted columns in clear, "
        "keyed hashes left out; orders with their lines and refunds."
    )


class ErasureRead(BaseModel):
    """What an erasure changed."""

    customer_id: int
    anonymous_id: int = Field(description="The id the person's orders and ledgers now carry.")
    rows: dict[str, int] = Field(description="Rows deleted or scrubbed, by table.")
    snapshot_files: int = Field(description="Snapshot files rewritten.")
