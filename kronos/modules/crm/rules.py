"""Domain rules of the CRM objects, run by the record engine's one write path (``before_write`` hooks).

They run inside the write's transaction, before anything is stored: a rule either rejects the change (a 422
that leaves nothing behind) or adds values to the same change set, so what it sets lands in the record's
history next to the caller's own change, with the same timestamp and change set id.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from kronos.kit.errors import Conflict, FieldError, ValidationFailed
from kronos.kit.records.fields import format_datetime
from kronos.kit.records.write import WriteContext
from kronos.modules.crm.models import Deal, Pipeline, Stage

# The pipeline a workspace starts with: (name, win probability, type).
DEFAULT_PIPELINE_NAME = "Sales"
DEFAULT_STAGES: tuple[tuple[str, int, str], ...] = (
    ("Qualification", 10, "open"),
    ("Proposal", 40, "open"),
    ("Negotiation", 70, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
)
CLOSED_TYPES = ("won", "lost")


def _invalid(field: str, message: str, type: str) -> ValidationFailed:
    return ValidationFailed(
        f"body.{field}: {message}", errors=[FieldError(path=f"body.{field}", message=message, type=type)]
    )


async def ensure_default_pipeline(ctx: WriteContext) -> Pipeline:
    """The workspace's default pipeline, created with its standard stages on first need (lazily: workspaces
    are created by the identity module, which knows nothing of pipelines). Written through the write path,
    so the pipeline and its stages have their history and events like any other record."""
    existing = await ctx.session.scalar(
        select(Pipeline)
        .where(Pipeline.tenant_id == ctx.tenant_id, Pipeline.deleted_at.is_(None), Pipeline.is_default)
        .limit(1)
    )
    if existing is not None:
        return existing
    pipeline = await ctx.write(
        "pipelines", op="create", changes={"name": DEFAULT_PIPELINE_NAME, "is_default": True, "position": 0}
    )
    for position, (name, probability, type) in enumerate(DEFAULT_STAGES):
        await ctx.write(
            "stages",
            op="create",
            changes={
                "pipeline_id": str(pipeline.record.id),
                "name": name,
                "position": position,
                "probability": probability,
                "type": type,
            },
        )
    record: Pipeline = pipeline.record
    return record


async def _stage(ctx: WriteContext, stage_id: str) -> Stage | None:
    stage: Stage | None = await ctx.session.scalar(
        select(Stage).where(
            Stage.tenant_id == ctx.tenant_id, Stage.id == uuid.UUID(stage_id), Stage.deleted_at.is_(None)
        )
    )
    return stage


async def _first_stage(ctx: WriteContext, pipeline_id: str) -> Stage | None:
    stage: Stage | None = await ctx.session.scalar(
        select(Stage)
        .where(
            Stage.tenant_id == ctx.tenant_id,
            Stage.pipeline_id == uuid.UUID(pipeline_id),
            Stage.deleted_at.is_(None),
            Stage.type == "open",
        )
        .order_by(Stage.position, Stage.id)
        .limit(1)
    )
    return stage


async def deal_rules(ctx: WriteContext, record: Any, changes: dict[str, Any]) -> None:
    """A deal sits in a stage of its pipeline (the workspace's default one when none is given); entering a
    won or lost stage closes it (``closed_at``, ``outcome``), leaving one reopens it."""
    if ctx.op not in ("create", "update"):
        return
    if ctx.op == "update" and "stage_id" not in changes and "pipeline_id" not in changes:
        return
    pipeline_id = ctx.value(record, changes, "pipeline_id")
    stage_id = ctx.value(record, changes, "stage_id")
    if pipeline_id is None and stage_id is None:
        pipeline_id = str((await ensure_default_pipeline(ctx)).id)
        changes["pipeline_id"] = pipeline_id
    stage: Stage | None
    if stage_id is None:
        assert pipeline_id is not None
        stage = await _first_stage(ctx, pipeline_id)
        if stage is None:
            raise _invalid("pipeline_id", "This pipeline has no open stage.", "pipeline_without_stages")
        changes["stage_id"] = stage_id = str(stage.id)
    else:
        stage = await _stage(ctx, stage_id)
        if stage is None:
            raise _invalid("stage_id", "No such record.", "relation_not_found")
        if pipeline_id is None:
            changes["pipeline_id"] = pipeline_id = str(stage.pipeline_id)
        elif str(stage.pipeline_id) != pipeline_id:
            raise _invalid("stage_id", "This stage belongs to another pipeline.", "stage_not_in_pipeline")
    if stage_id == ctx.before(record, "stage_id"):
        return
    outcome = ctx.before(record, "outcome")
    if stage.type in CLOSED_TYPES:
        if outcome != stage.type:
            changes["outcome"] = stage.type
            changes["closed_at"] = format_datetime(ctx.now)
    elif outcome is not None or ctx.before(record, "closed_at") is not None:
        changes["outcome"] = None
        changes["closed_at"] = None


class InUse(Conflict):
    code = "in_use"


async def _refuse_while_deals(ctx: WriteContext, column: Any, record: Any, what: str) -> None:
    """A pipeline or stage that live deals sit in cannot be deleted: the deals would point at nothing the
    board shows. Deleted deals do not count (a restore re-checks the stage through ``deal_rules``)."""
    count = await ctx.session.scalar(
        select(func.count())
        .select_from(Deal)
        .where(Deal.tenant_id == ctx.tenant_id, column == record.id, Deal.deleted_at.is_(None))
    )
    if count:
        raise InUse(
            f"{count} deal{'s' if count != 1 else ''} {'are' if count != 1 else 'is'} still in this {what}: "
            f"move {'them' if count != 1 else 'it'} elsewhere first.",
            extra={"deals": count},
        )


async def pipeline_rules(ctx: WriteContext, record: Any, changes: dict[str, Any]) -> None:
    if ctx.op == "delete":
        await _refuse_while_deals(ctx, Deal.pipeline_id, record, "pipeline")


async def stage_rules(ctx: WriteContext, record: Any, changes: dict[str, Any]) -> None:
    """A stage stays in its pipeline: its deals are checked against it. It goes only once it is empty."""
    if ctx.op == "delete":
        await _refuse_while_deals(ctx, Deal.stage_id, record, "stage")
        return
    if (
        ctx.op == "update"
        and "pipeline_id" in changes
        and changes["pipeline_id"] != ctx.before(record, "pipeline_id")
    ):
        raise _invalid("pipeline_id", "A stage cannot move to another pipeline.", "read_only")


async def lead_rules(ctx: WriteContext, record: Any, changes: dict[str, Any]) -> None:
    """Only a conversion makes a lead converted, and a converted lead stays converted."""
    if ctx.op not in ("create", "update") or "status" not in changes:
        return
    before = ctx.before(record, "status")
    status = changes["status"]
    if before == "converted" and status != "converted":
        raise _invalid("status", "A converted lead keeps its status.", "lead_converted")
    if status == "converted" and before != "converted" and ctx.value(record, changes, "converted_at") is None:
        raise _invalid(
            "status", "Convert the lead with POST /api/v1/leads/{id}/convert.", "use_lead_conversion"
        )
