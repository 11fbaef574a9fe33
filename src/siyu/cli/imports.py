"""`siyu import …`: orders, products, contacts and channel costs from CSV/XLSX files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from siyu.catalog.service import import_products
from siyu.cli.common import console, handle_errors, progress_bar, settings, store, workspace_session
from siyu.imports.rejects import Reject, write_rejects
from siyu.imports.results import TableImportResult
from siyu.kit.i18n import translate
from siyu.orders.service import import_orders
from siyu.pool.service import import_contacts, import_costs

app = typer.Typer(help="Import files exported from shops and tools.", no_args_is_help=True)

MAX_SHOWN_REJECTS = 20


def _rejects_dir() -> Path:
    return settings().home / "rejects"


def show_rejects(rejects: list[Reject], path: Path | None) -> None:
    """Print the first rejects and where the full list was written."""
    if not rejects:
        return
    table = Table("file", "line", "column", "reason", title=f"{len(rejects)} rejected rows")
    for r in rejects[:MAX_SHOWN_REJECTS]:
        table.add_row(r.file, str(r.line), r.column, r.reason)
    console.print(table)
    if path is not None:
        console.print(f"rejects → {path}")


@app.command("orders")
@handle_errors
def orders(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX order export.")],
    preset: Annotated[str, typer.Option(help="Preset name or YAML mapping; default: detect.")] = "",
    shop: Annotated[str, typer.Option(help="Shop code; default: the preset's platform.")] = "",
) -> None:
    """Import an order export (idempotent: re-importing updates status and refunds)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        with progress_bar() as bar:
            task = bar.add_task(f"{file.name}", total=None)
            result = import_orders(
                session,
                workspace_id=workspace_id,
                cipher=opened.cipher,
                path=file,
                preset_name=preset or None,
                shop_code=shop or None,
                rejects_dir=_rejects_dir(),
                progress=lambda stage, done, total: bar.update(
                    task, description=f"{file.name} · {stage}", completed=done, total=total
                ),
            )
        _report(result, "import.summary")


def _report(result: TableImportResult, message: str = "import.table_summary") -> None:
    if result.rejects and result.rejects_path is None:
        result.rejects_path = _rejects_dir() / f"{Path(result.file).stem}.rejects.csv"
        write_rejects(result.rejects_path, result.rejects)
    show_rejects(result.rejects, result.rejects_path)
    console.print(
        translate(
            message,
            settings().locale,
            file=result.file,
            accepted=result.accepted,
            rejected=len(result.rejects),
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
    )


@app.command("products")
@handle_errors
def products(file: Annotated[Path, typer.Argument(help="CSV or XLSX catalogue.")]) -> None:
    """Import the product catalogue: SKU, name, role, price and unit cost."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        _report(import_products(session, workspace_id=workspace_id, path=file))


@app.command("contacts")
@handle_errors
def contacts(file: Annotated[Path, typer.Argument(help="CSV or XLSX of pool contacts.")]) -> None:
    """Import private-pool contacts: who joined which carrier, through which channel, and left."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        _report(
            import_contacts(session, workspace_id=workspace_id, cipher=opened.cipher, path=file)
        )


@app.command("costs")
@handle_errors
def costs(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX of daily channel spend.")],
) -> None:
    """Import the daily spend of each diversion channel (for CAC)."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        _report(import_costs(session, workspace_id=workspace_id, path=file))
