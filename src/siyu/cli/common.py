"""What every command shares: settings, the store, errors printed in the user's language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError as PydanticError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from siyu.config import Settings, get_settings
from siyu.db.engine import unit_of_work
from siyu.kit.clock import CHINA_TZ
from siyu.kit.errors import SiyuError, ValidationError
from siyu.kit.money import typed_yuan
from siyu.store import Store, open_store
from siyu.workspaces import service as workspaces

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def settings() -> Settings:
    """Return the settings for this invocation; a bad SIYU_ value is a clear error."""
    try:
        return get_settings()
    except PydanticError as exc:
        detail = "; ".join(
            f"SIYU_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SiyuError("settings.invalid", detail=detail) from None


def yuan(text: str) -> int:
    """An amount typed in yuan, as fen; anything else is a bilingual error."""
    fen = typed_yuan(text)
    if fen is None:
        raise ValidationError("input.money", text=text[:30])
    return fen


def _locale() -> str:
    try:
        return settings().locale
    except SiyuError:
        return "en"


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print siyu's own errors in the user's language and exit with status 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SiyuError as exc:
            err_console.print(f"[bold red]✗[/] {exc.message(_locale())}", highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper


@contextmanager
def store() -> Iterator[Store]:
    """Open the checked store for one command."""
    opened = open_store(settings())
    try:
        yield opened
    finally:
        opened.close()


@contextmanager
def workspace_session(opened: Store) -> Iterator[tuple[Session, int]]:
    """Open a unit of work on the configured workspace; commits when the block succeeds."""
    with unit_of_work(opened.sessions) as session:
        workspace = workspaces.require(session, settings().workspace)
        yield session, workspace.id


def progress_bar() -> Progress:
    """A Rich progress bar for long work."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def t(en: str, zh: str) -> str:
    """Pick the label in the user's language."""
    return zh if settings().locale == "zh-CN" else en


def operator_day(text: str | None, *, end: bool = False) -> datetime | None:
    """A day typed by an operator (China time), as the start or the end of that day."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise SiyuError("input.date", text=text[:20]) from None
    return datetime.combine(day, time.max if end else time.min, CHINA_TZ)
