"""`siyu user …`: console accounts, for the first admin and for scripts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from siyu.accounts import repository, service
from siyu.accounts.rules import Role
from siyu.audit.rules import cli_actor
from siyu.cli.common import console, handle_errors, store, t, workspace_session
from siyu.kit.errors import SiyuError

app = typer.Typer(help="Console users of the workspace.", no_args_is_help=True)


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password from stdin, or a generated one (then shown once)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return service.generate_password(), True


@app.command("create")
@handle_errors
def create(
    username: str,
    role: Annotated[
        Role, typer.Option(help="admin, operator, analyst, customer_service, read_only")
    ],
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
    staff: Annotated[str, typer.Option(help="Staff account code (customer service).")] = "",
) -> None:
    """Create a console user; without --password-stdin a password is generated and shown once."""
    password, generated = _password(password_stdin)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        service.create_user(
            session, workspace_id, username=username, password=password, role=role,
            staff_code=staff, actor=cli_actor(),
        )  # fmt: skip
    console.print(f"[green]✓[/] {username} ({role.value})")
    if generated:
        console.print(f"{t('password', '密码')}: {password}", highlight=False)


@app.command("password")
@handle_errors
def password(
    username: str,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
) -> None:
    """Set a user's password (ends their sessions); without --password-stdin one is generated."""
    new, generated = _password(password_stdin)
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        user = repository.get_user_by_name(session, username)
        if user is None or user.workspace_id != workspace_id:
            raise SiyuError("user.not_found", ident=username)
        service.update_user(
            session, workspace_id, user.id, password=new, active=True, actor=cli_actor()
        )
    console.print(f"[green]✓[/] {username}")
    if generated:
        console.print(f"{t('password', '密码')}: {new}", highlight=False)


@app.command("list")
@handle_errors
def list_users() -> None:
    """List the workspace's users."""
    with store() as opened, workspace_session(opened) as (session, workspace_id):
        table = Table(t("user", "用户"), t("role", "角色"), t("active", "启用"))
        for user in repository.list_users(session, workspace_id):
            table.add_row(user.username, user.role, "✓" if user.active else "✗")
    console.print(table)
