"""API routes of data-subject requests: export and erasure of one customer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from siyu.accounts.rules import Permission, Principal
from siyu.privacy import service
from siyu.privacy.schemas import DataSubjectExport, ErasureRead
from siyu.web.deps import Db, RowId, require, store_of
from siyu.workspaces import repository as workspaces

router = APIRouter(tags=["privacy"])
PrivacyAdmin = Annotated[Principal, require(Permission.PRIVACY_MANAGE)]


@router.get("/customers/{customer_id}/data-export", response_model=DataSubjectExport)
def export_subject(
    customer_id: RowId, request: Request, db: Db, principal: PrivacyAdmin
) -> DataSubjectExport:
    """Everything held on one person as JSON, identities in clear (a data-subject request)."""
    cipher = store_of(request).cipher
    found = service.export(db, principal.workspace_id, cipher, customer_id, actor=principal.actor)
    return DataSubjectExport.model_validate(found)


@router.post("/customers/{customer_id}/erasure", response_model=ErasureRead)
def erase_subject(
    customer_id: RowId, request: Request, db: Db, principal: PrivacyAdmin
) -> ErasureRead:
    """Erase one person: identifiers and personal data removed everywhere, the snapshot
    rewritten; orders and ledgers stay under a new anonymous id. Cannot be undone."""
    store = store_of(request)
    report = service.erase(
        db, principal.workspace_id, store.cipher, customer_id, actor=principal.actor
    )
    workspace = workspaces.get(db, principal.workspace_id)
    db.commit()  # the snapshot reads committed state only
    slug = workspace.slug if workspace is not None else store.settings.workspace
    root = store.settings.home / "warehouse" / slug
    files = service.refresh_snapshot(store.engine, principal.workspace_id, root)
    return ErasureRead(
        customer_id=report.customer_id, anonymous_id=report.anonymous_id, rows=report.rows,
        snapshot_files=files,
    )  # fmt: skip
