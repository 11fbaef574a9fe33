"""`siyu report daily|monthly|annual`: the figures in the terminal and as files."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from siyu.analytics.periods import Grain
from siyu.cli.common import (
    console,
    handle_errors,
    progress_bar,
    settings,
    store,
    t,
    workspace_session,
)
from siyu.figures.service import store_report
from siyu.kit.errors import SiyuError
from siyu.kit.i18n import translate
from siyu.kit.logs import log_to_file
from siyu.reports import exports, summary
from siyu.reports.rules import format_cell, format_change, parse_day
from siyu.reports.schemas import Locale, Report, Section
from siyu.reports.service import FAMILIES, build_report

app = typer.Typer(help="Daily, monthly and annual figures (报表).", no_args_is_help=True)

DateOption = Annotated[
    str | None,
    typer.Option("--date", help="A day of the period (YYYY-MM-DD; default: yesterday in China)."),
]
PathOption = Annotated[Path | None, typer.Option(dir_okay=False, writable=True)]
TITLES = {
    "day": ("Daily report", "私域日报"),
    "month": ("Monthly report", "私域月报"),
    "year": ("Annual report", "私域年报"),
}


def _transposed(section: Section, locale: str) -> Table:
    headline = section.key == "overview"
    heads = [str(row[0]) for row in section.rows] if headline else [t("value", "数值")]
    extra = [t("vs previous", "环比"), t("vs a year earlier", "同比")] if headline else []
    table = Table(t("figure", "指标"), *heads, *extra, title=section.title(locale))
    first = 1 if headline else 0
    for i, column in enumerate(section.columns[first:], start=first):
        values = [row[i] for row in section.rows]
        cells = [format_cell(v, column.kind) for v in values]
        if headline:
            cells += [format_change(values[0], values[1], column.kind),
                      format_change(values[0], values[2], column.kind)]  # fmt: skip
        table.add_row(column.label(locale), *cells)
    return table


def _table(section: Section, locale: str) -> Table:
    if section.transposed:
        return _transposed(section, locale)
    table = Table(*(c.label(locale) for c in section.columns), title=section.title(locale))
    for row in section.rows:
        table.add_row(*(format_cell(v, c.kind) for v, c in zip(row, section.columns, strict=True)))
    return table


def print_report(report: Report, locale: str) -> None:
    """Every section as a Rich table, with its note."""
    for section in report.sections:
        console.print(_table(section, locale))
        if section.note(locale):
            console.print(f"[dim]{section.note(locale)}[/]", highlight=False)


def _write_one(report: Report, kind: str, path: Path, locale: Locale, title: str) -> None:
    if kind == "csv":
        exports.write_csv(report, path, locale)
    elif kind == "xlsx":
        exports.write_xlsx(report, path, locale, title)
    elif kind == "html":
        summary.write_html(report, path, locale, title)
    else:
        summary.write_pdf(report, path, locale, title)


def _write(report: Report, title: str, targets: dict[str, Path | None], locale: Locale) -> None:
    for kind, path in targets.items():
        if path is None:
            continue
        try:
            _write_one(report, kind, path, locale, title)
        except OSError as exc:
            raise SiyuError("report.unwritable", path=str(path), reason=exc.strerror) from None
        console.print(f"[green]✓[/] {translate('report.written', locale, what=kind, path=path)}")


def _report(grain: Grain, day: str | None, targets: dict[str, Path | None]) -> None:
    config = settings()
    log_to_file(config.home)
    locale = config.locale
    try:
        wanted: date | None = parse_day(day) if day else None
    except ValueError:
        raise SiyuError("report.bad_date", value=day) from None
    started = time.perf_counter()
    root = config.home / "warehouse" / config.workspace
    with (
        store() as opened,
        workspace_session(opened) as (session, workspace_id),
        progress_bar() as bar,
    ):
        task = bar.add_task("report", total=len(FAMILIES))
        report = build_report(
            session, workspace_id, root=root, grain=grain, day=wanted,
            engine=config.analytics_engine, locale=locale,
            progress=lambda step: bar.update(task, description=step, advance=1),
        )  # fmt: skip
        store_report(session, workspace_id, config.home, report)  # the console shows it too
    en, zh = TITLES[grain]
    title = f"{t(en, zh)} · {config.workspace} · {report.period.label}"
    console.rule(title)
    print_report(report, locale)
    _write(report, title, targets, locale)
    timings = Table(t("figures", "指标族"), t("seconds", "秒"), title=t("time", "耗时"))
    for family, seconds in report.seconds.items():
        timings.add_row(family, f"{seconds:.2f}")
    timings.add_row(t("total", "合计"), f"{time.perf_counter() - started:.2f}")
    console.print(timings)


def _command(grain: Grain, name: str, help_text: str) -> None:
    @app.command(name, help=help_text)
    @handle_errors
    def command(
        day: DateOption = None,
        csv: PathOption = None,
        xlsx: PathOption = None,
        html: PathOption = None,
        pdf: PathOption = None,
    ) -> None:
        _report(grain, day, {"csv": csv, "xlsx": xlsx, "html": html, "pdf": pdf})


_command("day", "daily", "The day's figures (yesterday by default), with the last 30 days.")
_command("month", "monthly", "The month's figures, with the last 12 months.")
_command("year", "annual", "The year's figures, with the last 5 years.")
