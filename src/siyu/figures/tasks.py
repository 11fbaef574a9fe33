"""Figures jobs started from the console or the API: compute in the background, store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from siyu.analytics.periods import Grain
from siyu.db.engine import unit_of_work
from siyu.figures import rules, service
from siyu.store import Store

Progress = Callable[[str, int, int | None], None]
KIND = "figures"
LADDER_KIND = "figures:ladder"


@dataclass(frozen=True, slots=True)
class FiguresRequest:
    """Which figures to compute: a grain or all three, for the period holding ``day``."""

    workspace_id: int
    grain: str = "all"
    day: date | None = None

    @property
    def grains(self) -> tuple[Grain, ...]:
        """The grains to compute."""
        return tuple(g for g in rules.GRAINS if self.grain in ("all", g))


def run_figures(store: Store, request: FiguresRequest, progress: Progress) -> dict[str, Any]:
    """Compute and store the figures (reads only; the session writes nothing)."""
    config = store.settings
    with unit_of_work(store.sessions) as session:
        paths = service.compute(
            session, request.workspace_id, home=config.home, grains=request.grains,
            day=request.day, engine=config.analytics_engine, progress=progress,
        )  # fmt: skip
    return {"stored": [p.stem for p in paths], "grains": list(request.grains)}


def run_ladder(
    store: Store, workspace_id: int, start: date, end: date, progress: Progress
) -> dict[str, Any]:
    """Compute and store the ladder migration between two chosen dates."""
    config = store.settings
    with unit_of_work(store.sessions) as session:
        service.ladder_between(
            session, workspace_id, home=config.home, start=start, end=end,
            engine=config.analytics_engine, progress=progress,
        )  # fmt: skip
    return {"start": start.isoformat(), "end": end.isoformat()}
