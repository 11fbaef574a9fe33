"""The shape of a report: the analytics results it was built from, and its tables.

Cells hold raw values (money in integer or fractional fen, shares as fractions); each
renderer (terminal, CSV, XLSX, HTML, PDF) formats them by the column's kind, so every
output shows the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from siyu.analytics.channels import ChannelFigures
from siyu.analytics.cohorts import CohortMatrix, LadderMigration
from siyu.analytics.operating import OperatingFigures, PoolQuality
from siyu.analytics.periods import Grain, Period
from siyu.analytics.products import ProductRoles
from siyu.analytics.repurchase import RepurchaseFigures

Kind = Literal["text", "count", "fen", "share", "days", "ratio", "months"]
Cell = str | int | float | None
Locale = Literal["zh-CN", "en"]


@dataclass(frozen=True, slots=True)
class Column:
    """A column: a stable key, labels in both languages and how its values are shown."""

    key: str
    en: str
    zh: str
    kind: Kind = "count"

    def label(self, locale: str) -> str:
        """The label in ``locale``."""
        return self.zh if locale == "zh-CN" else self.en


@dataclass(frozen=True)
class Section:
    """One table of a report."""

    key: str
    en: str
    zh: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note_en: str = ""
    note_zh: str = ""
    transposed: bool = False
    """Few rows of many figures: shown with the figures as rows."""

    def title(self, locale: str) -> str:
        """The title in ``locale``."""
        return self.zh if locale == "zh-CN" else self.en

    def note(self, locale: str) -> str:
        """The note in ``locale`` ('' when none)."""
        return self.note_zh if locale == "zh-CN" else self.note_en

    def value(self, row: int, key: str) -> Cell:
        """The cell of column ``key`` in row ``row``."""
        index = [c.key for c in self.columns].index(key)
        return self.rows[row][index]

    def column_values(self, key: str) -> list[Cell]:
        """Every cell of column ``key``."""
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class ReportFigures:
    """The analytics results one report shows (all as of the end of its period)."""

    period: Period
    headline: tuple[OperatingFigures, OperatingFigures, OperatingFigures]
    """This period, the one before and the same period a year earlier."""
    trend: tuple[OperatingFigures, ...]
    pool: PoolQuality
    repurchase: RepurchaseFigures
    purchase_cohorts: CohortMatrix
    pool_cohorts: CohortMatrix
    ladder: LadderMigration
    channels: tuple[ChannelFigures, ...]
    products: ProductRoles
    window_first: date
    """First day of the window of cohorts, channel joiners and the product cohort."""
    margin: float
    clv_as_of: date | None
    """Date of the published profiles the CLV comes from (None: no profiles yet)."""


@dataclass(frozen=True)
class Report:
    """A built report: its figures, its tables and how long each family of figures took."""

    grain: Grain
    figures: ReportFigures
    sections: tuple[Section, ...]
    generated_at: datetime
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def period(self) -> Period:
        """The period reported on."""
        return self.figures.period

    def section(self, key: str) -> Section:
        """The section with this key."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)
