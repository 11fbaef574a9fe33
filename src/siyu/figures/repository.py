"""Where stored figures live: JSON documents under ``<home>/figures/<workspace>/``.

One file per grain and report day (``month/2026-10-31.json``) plus ``latest.json`` per
grain, and ``ladder/latest.json`` for the last migration between two chosen dates. Files
are written to a temporary name and renamed, so a reader never sees half a document.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

LATEST = "latest.json"


def folder(home: Path, workspace: str) -> Path:
    """The figures folder of a workspace."""
    return home / "figures" / workspace


def _write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".figures-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, allow_nan=False, default=str)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path) -> dict[str, Any] | None:
    try:
        with path.open(encoding="utf-8") as handle:
            found: dict[str, Any] = json.load(handle)
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return found


def save(home: Path, workspace: str, kind: str, name: str, document: dict[str, Any]) -> Path:
    """Store a document as ``<kind>/<name>.json`` and as the kind's latest."""
    base = folder(home, workspace) / kind
    path = base / f"{name}.json"
    _write(path, document)
    _write(base / LATEST, document)
    return path


def load(home: Path, workspace: str, kind: str, name: str | None = None) -> dict[str, Any] | None:
    """A stored document (the kind's latest when ``name`` is None), or None."""
    base = folder(home, workspace) / kind
    return _read(base / (f"{name}.json" if name else LATEST))


def names(home: Path, workspace: str, kind: str) -> list[str]:
    """Names of the stored documents of a kind, newest name first."""
    base = folder(home, workspace) / kind
    if not base.is_dir():
        return []
    found = [p.stem for p in base.glob("*.json") if p.name != LATEST]
    return sorted(found, reverse=True)
