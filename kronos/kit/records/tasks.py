"""The record engine's jobs, found by ``kronos.kit.events.registry.discover`` like the modules' ``tasks.py``.

``field.convert_values``: one step of encrypting or decrypting a sensitive field's stored values, for a field
switched on or off with more values than one request converts (``sensitive_values``). Each step converts a
batch in the consumer's transaction and emits the next step in the same transaction, so the chain survives
a crash at any point and a redelivered step converts nothing twice.
"""

from __future__ import annotations

from kronos.kit.events import ConsumerContext, Event, consumer
from kronos.kit.records import sensitive_values


@consumer("sensitive_field_values", events=[sensitive_values.JOB])
async def convert_values(ctx: ConsumerContext, event: Event) -> None:
    if event.tenant_id is None:
        return
    progress = await sensitive_values.run_job(ctx.session, event.tenant_id, event.payload)
    ctx.log.info(
        "sensitive field values converted",
        object=event.payload.get("object"),
        field=event.payload.get("field"),
        records=progress.records_changed,
        history_rows=progress.history_changed,
        done=progress.done,
    )
