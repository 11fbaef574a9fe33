"""Schema migrations (Alembic) and the check that the store is present and current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from siyu.kit.errors import StoreNotReadyError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """Return an Alembic config pointing at siyu's migrations and `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """Return the newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the store's revision, or None when the store has no siyu schema."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Create or upgrade the store to the newest revision; return that revision."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head_revision()


def sqlite_file_missing(url: str) -> bool:
    """True when `url` names a SQLite file that does not exist yet."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return False
    return not Path(parsed.database).exists()


def ensure_current(engine: Engine) -> None:
    """Raise StoreNotReadyError unless the store exists and is at the head revision."""
    url = engine.url.render_as_string(hide_password=True)
    if sqlite_file_missing(url):
        raise StoreNotReadyError("store.missing", url=url)
    current = current_revision(engine)
    if current is None:
        raise StoreNotReadyError("store.missing", url=url)
    head = head_revision()
    if current != head:
        raise StoreNotReadyError("store.behind", url=url, current=current, head=head)
