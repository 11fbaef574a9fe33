"""Opening the store: engine, sessions and the personal-data cipher from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from siyu.config import Settings
from siyu.db.engine import make_engine, make_session_factory
from siyu.db.migrate import ensure_current
from siyu.kit.crypto import PiiCipher, ensure_key_file, parse_keys
from siyu.kit.errors import SiyuError


@dataclass
class Store:
    """What a command needs to work on the system of record."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    cipher: PiiCipher

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()


def unreachable(engine: Engine, exc: OperationalError) -> SiyuError:
    """A bilingual error for a store that cannot be reached (password hidden)."""
    url = engine.url.render_as_string(hide_password=True)
    return SiyuError("store.unreachable", url=url, reason=str(exc.orig).splitlines()[0])


def load_cipher(settings: Settings, *, create: bool = False) -> PiiCipher:
    """Return the key ring from SIYU_PII_KEY or the key file (created only when `create`);
    a ring from a file follows keys a rotation adds to it."""
    if settings.pii_key is not None:
        return PiiCipher(keys=parse_keys(settings.pii_key.get_secret_value()))
    path = settings.resolved_key_file()
    if not path.exists() and not create:
        raise SiyuError("key.missing", path=str(path))
    keys = parse_keys(ensure_key_file(path))
    return PiiCipher(keys=keys, reload=lambda: _reread(path, keys))


def _reread(path: Path, last: dict[int, bytes]) -> dict[int, bytes]:
    """The ring in the key file now; the last one read while the file is being replaced."""
    try:
        last.update(parse_keys(path.read_text(encoding="ascii")))
    except (OSError, SiyuError):
        return last
    return last


def open_store(settings: Settings, *, check: bool = True, create_key: bool = False) -> Store:
    """Open the store; with `check`, refuse a store that is missing or behind the code."""
    engine = make_engine(settings.resolved_database_url())
    try:
        if check:
            ensure_current(engine)
        cipher = load_cipher(settings, create=create_key)
    except OperationalError as exc:
        engine.dispose()
        raise unreachable(engine, exc) from exc
    except BaseException:
        engine.dispose()
        raise
    return Store(settings, engine, make_session_factory(engine), cipher)
