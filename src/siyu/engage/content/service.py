"""Use cases of content (never commits): the banned-words list and the check every text
passes before it can be scheduled, the template library, and SOP plans (run by the playbooks'
daily run)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from siyu.engage.campaigns.rules import unknown_fields
from siyu.engage.content import repository
from siyu.engage.content.rules import DEFAULT_BANNED, banned_hits
from siyu.engage.content.schemas import (
    SopPlanCreate,
    SopPlanRead,
    TemplateCreate,
    TemplateRead,
)
from siyu.engage.policy import repository as settings_repository
from siyu.kit.errors import NotFoundError, ValidationError
from siyu.models import ContentTemplate, SopPlan
from siyu.segments import service as segments

BANNED_KEY = "banned_words"


def banned_words(session: Session, workspace_id: int) -> list[str]:
    """The workspace's banned words (the defaults until a list is saved)."""
    stored = settings_repository.get_setting(session, workspace_id, BANNED_KEY)
    return list(stored["words"]) if stored else list(DEFAULT_BANNED)


def set_banned_words(session: Session, workspace_id: int, words: list[str]) -> list[str]:
    """Replace the workspace's banned words."""
    cleaned = sorted({w.strip() for w in words if w.strip()})
    settings_repository.put_setting(session, workspace_id, BANNED_KEY, {"words": cleaned})
    return cleaned


def check_texts(session: Session, workspace_id: int, content: Mapping[str, Any]) -> None:
    """Refuse content holding a banned word, naming each word and where it is."""
    hits = banned_hits(content, banned_words(session, workspace_id))
    if hits:
        found = ", ".join(f"{h.field}: {h.word}" for h in hits)
        raise ValidationError("content.banned_words", found=found)


# ----------------------------------------------------------------------------- templates


def template_payload(template: ContentTemplate) -> dict[str, Any]:
    """What a message made from a template carries (rendered later)."""
    payload: dict[str, Any] = {"kind": template.kind, "text": template.text}
    if template.title:
        payload["title"] = template.title
    if template.persona:
        payload["persona"] = template.persona
    return payload | dict(template.media)


def save_template(session: Session, workspace_id: int, data: TemplateCreate) -> TemplateRead:
    """Add a template, or replace the one with its code; its texts are checked first."""
    texts = {"title": data.title, "text": data.text}
    unknown = unknown_fields(texts)
    if unknown:
        raise ValidationError("campaign.unknown_variables", variant=data.code,
                              names=", ".join(sorted(unknown)))  # fmt: skip
    check_texts(session, workspace_id, texts)
    template = repository.get_template(session, workspace_id, data.code)
    if template is None:
        template = ContentTemplate(workspace_id=workspace_id, code=data.code, media={})
        session.add(template)
    for name in ("kind", "persona", "title", "text", "media", "is_promotion"):
        setattr(template, name, getattr(data, name))
    session.flush()
    return TemplateRead.model_validate(template)


def template_texts(session: Session, workspace_id: int, code: str) -> dict[str, str]:
    """The texts a campaign variant takes from a library template (text, and title)."""
    template = repository.get_template(session, workspace_id, code)
    if template is None:
        raise NotFoundError("content.template_unknown", code=code)
    return {"text": template.text} | ({"title": template.title} if template.title else {})


def list_templates(session: Session, workspace_id: int) -> list[TemplateRead]:
    """Every template of the workspace."""
    return [TemplateRead.model_validate(t) for t in repository.templates(session, workspace_id)]


# ----------------------------------------------------------------------------- SOP plans


def save_plan(session: Session, workspace_id: int, data: SopPlanCreate) -> SopPlanRead:
    """Add an SOP plan, or replace the one with its code, after checking its templates."""
    codes = sorted({s.template for s in data.steps})
    found = {t.code: t for t in repository.templates(session, workspace_id, codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationError("sop.unknown_templates", codes=", ".join(missing))
    if data.trigger in ("group_daily", "moments"):
        personal = [c for c, t in found.items() if "{name}" in t.text + t.title]
        if personal:
            raise ValidationError("sop.personal_in_group", codes=", ".join(personal))
    segment_id = None
    if data.segment:
        segment_id = segments.require_segment(session, workspace_id, data.segment).id
    if data.trigger == "moments":
        known = repository.staff_ids(session, workspace_id, data.targets)
        unknown_staff = [c for c in data.targets if c not in known]
        if unknown_staff:
            raise ValidationError("sop.unknown_staff", codes=", ".join(unknown_staff))
    plan = repository.get_plan(session, workspace_id, data.code)
    if plan is None:
        plan = SopPlan(workspace_id=workspace_id, code=data.code)
        session.add(plan)
    plan.name, plan.trigger, plan.channel = data.name or data.code, data.trigger, data.channel
    plan.segment_id, plan.targets = segment_id, list(data.targets)
    plan.steps = [s.model_dump(mode="json") for s in data.steps]
    plan.active = True
    session.flush()
    return SopPlanRead.model_validate(plan)


def list_plans(session: Session, workspace_id: int) -> list[SopPlanRead]:
    """Every SOP plan of the workspace."""
    return [SopPlanRead.model_validate(p) for p in repository.plans(session, workspace_id)]
