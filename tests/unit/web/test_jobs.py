"""Background jobs: progress, results, failures in the viewer's terms, workspace isolation."""

from __future__ import annotations

from typing import Any

from siyu.kit.errors import SiyuError
from siyu.web.jobs import JobRunner


def test_jobs_run_and_report() -> None:
    runner = JobRunner()
    seen: list[float | None] = []

    def work(progress: Any) -> dict[str, Any]:
        progress("read", 5, 10)
        job = runner.list(1)[0]
        seen.append(job.fraction)
        return {"rows": 10}

    job = runner.submit(1, "import:orders", "a.csv", work)
    runner.wait(5)
    assert job.status == "done" and job.result == {"rows": 10} and seen == [0.5]
    assert job.fraction == 1.0 and job.finished_at is not None
    assert runner.get(2, job.id) is None and runner.get(1, job.id) is job
    runner.shutdown()


def test_failures_keep_the_message_key() -> None:
    runner = JobRunner()

    def bad(_: Any) -> dict[str, Any]:
        raise SiyuError("import.unreadable", file="x.csv", reason="empty")

    def broken(_: Any) -> dict[str, Any]:
        raise RuntimeError("secret detail")

    first = runner.submit(1, "k", "x", bad)
    second = runner.submit(1, "k", "y", broken)
    runner.wait(5)
    assert (first.status, first.error_key, first.error_params["file"]) == (
        "failed", "import.unreadable", "x.csv"
    )  # fmt: skip
    assert (second.status, second.error_key) == ("failed", "error.internal")
    runner.shutdown()
