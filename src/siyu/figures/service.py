"""Compute the figures once and store them; pages and the API read what is stored.

Computing a report takes seconds on a demo brand and tens of seconds on a million
customers, so no request computes: a job (console, API) or the CLI (`siyu report`) does,
and every reader shows when the figures were computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from siyu.analytics.cohorts import ladder_migration
from siyu.analytics.periods import Grain, day_start, period_of
from siyu.figures import repository, rules
from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFoundError, ValidationError
from siyu.loyalty import repository as loyalty
from siyu.models import Workspace
from siyu.reports import repository as names
from siyu.reports import rules as report_rules
from siyu.reports.schemas import Report
from siyu.reports.service import FAMILIES, build_report
from siyu.warehouse.engine import EngineName, connect, tables
from siyu.warehouse.snapshot import SnapshotWriter

Progress = Callable[[str, int, int | None], None]
LADDER = "ladder"


def workspace_slug(session: Session, workspace_id: int) -> str:
    """The slug that names a workspace's folders."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFoundError("workspace.missing", slug=str(workspace_id))
    return workspace.slug


def document(report: Report, session: Session, workspace_id: int, day: date) -> dict[str, Any]:
    """A report as a stored document: every table in both languages."""
    channels = names.channel_names(session, workspace_id)
    products = names.product_names(session, workspace_id)
    fig = report.figures
    by_locale = {loc: report_rules.sections(fig, channels, products, loc) for loc in rules.LOCALES}
    return {
        "version": rules.FORMAT_VERSION, "grain": report.grain, "day": day.isoformat(),
        "period": report.period.label, "first": report.period.first.isoformat(),
        "last": report.period.last.isoformat(), "window_first": fig.window_first.isoformat(),
        "computed_at": report.generated_at.isoformat(),
        "seconds": round(sum(report.seconds.values()), 3),
        "clv_as_of": fig.clv_as_of.isoformat() if fig.clv_as_of else None,
        "tables": rules.sections_json(by_locale),
    }  # fmt: skip


def store_report(session: Session, workspace_id: int, home: Path, report: Report) -> Path:
    """Store a built report as its grain's latest figures (the CLI's reports do this too)."""
    doc = document(report, session, workspace_id, report.period.last)
    slug = workspace_slug(session, workspace_id)
    return repository.save(home, slug, report.grain, report.period.label, doc)


def compute(
    session: Session,
    workspace_id: int,
    *,
    home: Path,
    grains: Sequence[Grain] = rules.GRAINS,
    day: date | None = None,
    engine: EngineName = "duckdb",
    progress: Progress | None = None,
) -> list[Path]:
    """Refresh the snapshot once, build the report of each grain and store its figures."""
    slug = workspace_slug(session, workspace_id)
    root = home / "warehouse" / slug
    total = len(FAMILIES) * len(grains) - (len(grains) - 1)  # the snapshot is refreshed once
    done = 0

    def step(name: str) -> None:
        nonlocal done
        if progress is not None:
            progress(name, done, total)
        done += 1

    stored = []
    for i, grain in enumerate(grains):
        report = build_report(
            session, workspace_id, root=root, grain=grain, day=day, engine=engine,
            refresh=i == 0, progress=step,
        )  # fmt: skip
        stored.append(store_report(session, workspace_id, home, report))
    if progress is not None:
        progress("done", total, total)
    return stored


def latest(home: Path, workspace: str, grain: Grain, day: date | None = None) -> dict[str, Any]:
    """The stored figures of a grain (of the period holding ``day`` when given)."""
    name = period_of(grain, day).label if day else None
    found = repository.load(home, workspace, grain, name)
    if found is None:
        raise NotFoundError("figures.not_computed", grain=grain)
    return found


def stored(home: Path, workspace: str) -> dict[Grain, dict[str, Any]]:
    """The latest stored figures of every grain that has some."""
    found = {g: repository.load(home, workspace, g) for g in rules.GRAINS}
    return {g: doc for g, doc in found.items() if doc is not None}


def end_of_day(day: date) -> datetime:
    """The last instant of a China day (UTC)."""
    return day_start(day + timedelta(days=1)) - timedelta(microseconds=1)


def check_ladder_dates(start: date, end: date) -> None:
    """Two dates of a ladder migration: the first strictly before the second."""
    if start >= end:
        raise ValidationError("figures.ladder_dates", start=start, end=end)


def ladder_between(
    session: Session,
    workspace_id: int,
    *,
    home: Path,
    start: date,
    end: date,
    engine: EngineName = "duckdb",
    progress: Progress | None = None,
) -> Path:
    """Ladder migration between the ends of two China days, stored as the latest one."""
    check_ladder_dates(start, end)
    slug = workspace_slug(session, workspace_id)
    root = home / "warehouse" / slug
    if progress is not None:
        progress("snapshot", 0, 3)
    SnapshotWriter(session.get_bind().engine, workspace_id, root).refresh()
    if progress is not None:
        progress("ladder", 1, 3)
    moments = end_of_day(start), end_of_day(end)
    members = [loyalty.ladder_members(session, workspace_id, m) for m in moments]
    t = tables(connect(engine), root)
    migration = ladder_migration(
        t, moments[0], moments[1], members_start=members[0], members_end=members[1]
    )
    by_locale = {loc: rules.ladder_sections(migration, loc) for loc in rules.LOCALES}
    doc = {
        "version": rules.FORMAT_VERSION, "start": start.isoformat(), "end": end.isoformat(),
        "computed_at": utcnow().isoformat(), "tables": rules.sections_json(by_locale),
    }  # fmt: skip
    path = repository.save(home, slug, LADDER, f"{start.isoformat()}_{end.isoformat()}", doc)
    if progress is not None:
        progress("done", 3, 3)
    return path


def chosen_ladder(home: Path, workspace: str) -> dict[str, Any] | None:
    """The last ladder migration computed between two chosen dates, or None."""
    return repository.load(home, workspace, LADDER)
