"""Benchmark: audit entries appended per second and the chain verified per second.

On a fresh store per backend: appends one per transaction (as a request records its entry),
the same from several threads at once (they queue on the chain head), then `verify()` over
everything. PostgreSQL is a throwaway server from the local binaries unless --url names one.

    python bench/audit_log.py [--appends 3000] [--threads 4] [--url …]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.pgserver

from tests.pgserver import PostgresServer

from siyu.audit import service
from siyu.audit.rules import Action, Target
from siyu.db.engine import make_engine, make_session_factory, unit_of_work
from siyu.db.migrate import upgrade


def _append(sessions: sessionmaker[Session], n: int, who: int) -> None:
    for i in range(n):
        with unit_of_work(sessions) as session:
            service.record(session, f"user:{who}", Action.EXPORT, Target("export", "customers"),
                           {"format": "csv", "rows": i}, workspace_id=1)  # fmt: skip


def run(label: str, url: str, appends: int, threads: int) -> None:
    """Measure one backend and print its figures."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    _append(sessions, appends, 0)
    serial = time.perf_counter() - started
    workers = [threading.Thread(target=_append, args=(sessions, appends // threads, t + 1))
               for t in range(threads)]  # fmt: skip
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    parallel = time.perf_counter() - started
    with sessions() as session:
        started = time.perf_counter()
        verdict = service.verify(session)
        checking = time.perf_counter() - started
    assert verdict.ok, verdict
    print(f"{label}: {appends / serial:,.0f} appends/s one per transaction; "
          f"{threads} threads {appends // threads * threads / parallel:,.0f}/s; "
          f"verify {verdict.checked:,} entries in {checking:.2f} s "
          f"({verdict.checked / checking:,.0f}/s)")  # fmt: skip
    engine.dispose()


def main() -> None:
    """Run on SQLite, then PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appends", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--url", default="", help="PostgreSQL URL (else a throwaway server)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as folder:
        run("SQLite", f"sqlite:///{folder}/bench.db", args.appends, args.threads)
    if args.url:
        run("PostgreSQL", args.url, args.appends, args.threads)
        return
    server = PostgresServer()
    server.start()
    try:
        run("PostgreSQL", server.create_database("bench"), args.appends, args.threads)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
