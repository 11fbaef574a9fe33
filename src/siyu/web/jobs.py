"""Long jobs started from the console (imports): run in a worker thread, report progress.

Jobs live in the serving process (one worker by default); what they leave behind (import
batches, rejects files) is in the store, so nothing is lost with the process but the bar.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from siyu.kit.clock import utcnow
from siyu.kit.errors import SiyuError

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int | None], None]
Work = Callable[[Progress], dict[str, Any]]
KEEP_JOBS = 200


@dataclass
class Job:
    """One long job and how far it got."""

    id: str
    workspace_id: int
    kind: str
    label: str
    status: str = "queued"
    stage: str = ""
    done: int = 0
    total: int | None = None
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error_key: str | None = None
    error_params: dict[str, Any] = field(default_factory=dict)

    def report(self, stage: str, done: int, total: int | None) -> None:
        """Record progress (called from the worker thread)."""
        self.stage, self.done, self.total = stage, done, total

    @property
    def fraction(self) -> float | None:
        """Share done, when the total is known."""
        if self.status == "done":
            return 1.0
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class JobRunner:
    """Runs jobs one at a time in a background thread (SQLite has one writer anyway)."""

    def __init__(self, workers: int = 1) -> None:
        self._workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="siyu-job")
        self._closed = False
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, workspace_id: int, kind: str, label: str, work: Work) -> Job:
        """Queue a job; `work` gets a progress callback and returns the job's result."""
        job = Job(uuid.uuid4().hex, workspace_id, kind, label)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Work) -> None:
        job.status = "running"
        try:
            job.result = work(job.report)
            job.status = "done"
        except SiyuError as exc:
            job.status, job.error_key, job.error_params = "failed", exc.key, exc.params
        except Exception:
            logger.exception("job %s (%s) failed", job.id, job.kind)
            job.status, job.error_key = "failed", "error.internal"
        finally:
            job.finished_at = utcnow()

    def get(self, workspace_id: int, job_id: str) -> Job | None:
        """Return a job of the workspace."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.workspace_id == workspace_id else None

    def list(self, workspace_id: int) -> list[Job]:
        """Return the workspace's jobs, newest first."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.workspace_id == workspace_id]
        return jobs[::-1]

    def wait(self, timeout: float | None = None) -> None:
        """Block until queued jobs are done (for tests and shutdown)."""
        marker = self._pool.submit(lambda: None)
        marker.result(timeout)

    def shutdown(self) -> None:
        """Finish running jobs and stop the thread."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)

    def reopen(self) -> None:
        """Start a thread again after a shutdown: an ASGI server (or test client) may run the
        application's lifespan more than once."""
        if self._closed:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="siyu-job")
            self._closed = False
