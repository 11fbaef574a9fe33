"""Where siyu's log records go: a rotating file under the home folder.

Records carry ids, counts and timings, never personal data (that is encrypted before it
reaches any code that logs).
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_file(home: Path) -> Path:
    """Send siyu's INFO-and-up records to <home>/logs/siyu.log (rotated at 10 MiB, 5 kept)."""
    path = home / "logs" / "siyu.log"
    root = logging.getLogger("siyu")
    if any(getattr(h, "baseFilename", None) == str(path.resolve()) for h in root.handlers):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=10 * 2**20, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
