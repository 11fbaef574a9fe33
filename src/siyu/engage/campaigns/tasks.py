"""Launching a campaign: one transaction per chunk of the audience, so a million customers
never hold locks at once and a crash resumes where it stopped (members already written are
skipped; the arms, drawn from a hash, come out the same)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from siyu.audit import service as audit
from siyu.audit.rules import SYSTEM, Action, Target
from siyu.db.engine import unit_of_work
from siyu.engage.campaigns import repository, service
from siyu.engage.campaigns.schemas import LaunchReport
from siyu.kit.errors import ValidationError

CHUNK = 20_000
Progress = Callable[[int, int], None]


def launch(
    sessions: sessionmaker[Session],
    workspace_id: int,
    code: str,
    *,
    now: datetime,
    chunk: int = CHUNK,
    progress: Progress | None = None,
    committed: bool = True,
    actor: str = SYSTEM,
) -> LaunchReport:
    """Launch a draft campaign (or resume an interrupted launch) chunk by chunk
    (``committed``: read the audience through the forked fast reader; a server thread
    reads it through its session instead, since forking a threaded server is unsafe); audited."""
    started = time.perf_counter()
    with unit_of_work(sessions) as session:
        campaign = service.require_campaign(session, workspace_id, code)
        if campaign.status not in ("draft", "launching"):
            raise ValidationError("campaign.not_draft", code=code, status=campaign.status)
        if campaign.status == "draft":  # the audience is the segment as it is at launch
            rule = repository.segment_rule(session, campaign.segment_id) or campaign.audience_rule
            repository.set_status(session, campaign.id, "launching", audience_rule=rule)
    report = LaunchReport(members=0, queued=0, suppressed=0, control=0, holdout=0, resumed=0,
                          seconds=0.0)  # fmt: skip
    with unit_of_work(sessions) as session:
        campaign = service.require_campaign(session, workspace_id, code)
        people = service.audience(session, workspace_id, campaign, now, committed=committed)
    total = int(people.ids.size)
    for start in range(0, total, chunk):
        with unit_of_work(sessions) as session:
            campaign = service.require_campaign(session, workspace_id, code)
            some = people.take(slice(start, start + chunk))
            part = service.launch_chunk(session, workspace_id, campaign, some, now=now)
        for name in ("members", "queued", "suppressed", "control", "holdout", "resumed"):
            setattr(report, name, getattr(report, name) + getattr(part, name))
        if progress is not None:
            progress(min(start + chunk, total), total)
    with unit_of_work(sessions) as session:
        campaign = service.require_campaign(session, workspace_id, code)
        repository.set_status(session, campaign.id, "launched", launched_at=now)
        counts = {k: getattr(report, k) for k in ("members", "queued", "suppressed", "control")}
        audit.record(session, actor, Action.CAMPAIGN_LAUNCH, Target("campaign", campaign.id),
                     {"code": code, **counts}, workspace_id=workspace_id)  # fmt: skip
    report.seconds = time.perf_counter() - started
    return report
