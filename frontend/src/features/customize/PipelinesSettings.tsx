/**
 * Settings > Pipelines: a workspace's sales pipelines and their stages. Pipelines and stages are ordinary
 * records (/api/v1/pipelines, /api/v1/stages), so every change has its history like any other. A stage has a
 * name, a win probability and a type (open, won, lost: entering a won or lost stage closes a deal); stages
 * are ordered by dragging. A stage that still holds deals is not removed: they would point at nothing.
 */
import { useEffect, useId, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError, errorMessage } from "@/api/problem";
import { useObjectMeta } from "@/api/records";
import { can } from "@/lib/fields";
import type { RecordData } from "@/lib/types";
import { Badge, Card, ConfirmDialog, ReadOnlyNotice, SectionHeader } from "@/features/settings/components";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { EmptyState } from "@/ui/EmptyState";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { FormError, TextField } from "@/ui/Field";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { dealsInStage, usePipelines, useRecordWrite, useReorderStages, useStages } from "./api";
import { SortableList } from "./SortableList";

const STAGE_TYPES = [
  { value: "open", label: "Open" },
  { value: "won", label: "Won" },
  { value: "lost", label: "Lost" },
];

/** What a new pipeline starts with, so deals can enter it at once (a deal needs an open stage). */
const STARTER_STAGES = [
  { name: "New", probability: 10, type: "open" },
  { name: "Won", probability: 100, type: "won" },
  { name: "Lost", probability: 0, type: "lost" },
];

function errorsOf(error: unknown): { byField: Record<string, string>; message: string | null } {
  if (error instanceof ApiError) {
    const byField = error.byField();
    return { byField, message: error.formMessage(["name", "probability", "type", "position"]) };
  }
  return { byField: {}, message: errorMessage(error) };
}

// -- one stage -----------------------------------------------------------------------------------------------

function StageRow({ stage, handle, editable, onRemove }: { stage: RecordData; handle: React.ReactNode; editable: boolean; onRemove: () => void }) {
  const toast = useToast();
  const write = useRecordWrite("stages");
  const name = String(stage.name ?? "");
  const probability = stage.probability === null || stage.probability === undefined ? "" : String(stage.probability);
  const [draftName, setDraftName] = useState(name);
  const [draftProbability, setDraftProbability] = useState(probability);
  const [errors, setErrors] = useState<{ byField: Record<string, string>; message: string | null }>({ byField: {}, message: null });
  // Someone else's change (or our own save) arrives: show it.
  useEffect(() => setDraftName(name), [name]);
  useEffect(() => setDraftProbability(probability), [probability]);

  const save = async (change: Record<string, unknown>, label: string) => {
    setErrors({ byField: {}, message: null });
    try {
      await write.mutateAsync({ method: "PATCH", id: stage.id, body: change });
      toast({ kind: "success", message: `Saved ${label}` });
    } catch (error) {
      setErrors(errorsOf(error));
    }
  };
  const saveName = () => {
    if (draftName.trim() === name) return;
    void save({ name: draftName.trim() }, `“${draftName.trim() || name}”`);
  };
  const saveProbability = () => {
    if (draftProbability.trim() === probability) return;
    const number = Number(draftProbability.trim());
    const value = draftProbability.trim() === "" ? null : Number.isNaN(number) ? draftProbability : number;
    void save({ probability: value }, `the win probability of “${name}”`);
  };

  return (
    <div className="px-3 py-2.5 sm:px-4" data-stage={name}>
      <div className="flex flex-wrap items-center gap-2 sm:flex-nowrap">
        {editable ? handle : null}
        <input
          aria-label={`Name of stage ${name}`}
          className="k-input h-8 min-w-0 flex-1 basis-40"
          value={draftName}
          disabled={!editable}
          maxLength={255}
          aria-invalid={errors.byField.name ? true : undefined}
          onChange={(e) => setDraftName(e.target.value)}
          onBlur={saveName}
          onKeyDown={(e) => {
            if (e.key === "Enter") e.currentTarget.blur();
            if (e.key === "Escape") setDraftName(name);
          }}
        />
        <span className="flex items-center gap-1">
          <input
            aria-label={`Win probability of ${name} (%)`}
            className="k-input h-8 w-16 text-right tabular-nums"
            inputMode="numeric"
            value={draftProbability}
            disabled={!editable}
            aria-invalid={errors.byField.probability ? true : undefined}
            onChange={(e) => setDraftProbability(e.target.value)}
            onBlur={saveProbability}
            onKeyDown={(e) => {
              if (e.key === "Enter") e.currentTarget.blur();
              if (e.key === "Escape") setDraftProbability(probability);
            }}
          />
          <span className="text-xs text-muted">%</span>
        </span>
        <select
          aria-label={`Type of ${name}`}
          className="k-input h-8 w-24"
          value={String(stage.type ?? "open")}
          disabled={!editable}
          onChange={(e) => void save({ type: e.target.value }, `the type of “${name}”`)}
        >
          {STAGE_TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
        {editable ? <Button size="sm" variant="ghost" icon="trash" aria-label={`Remove stage ${name}`} onClick={onRemove} /> : null}
      </div>
      {Object.values(errors.byField).length || errors.message ? (
        <p role="alert" className="mt-1 pl-8 text-xs text-danger">
          {[errors.message, ...Object.values(errors.byField)].filter(Boolean).join(" ")}
        </p>
      ) : null}
    </div>
  );
}

// -- adding a stage ------------------------------------------------------------------------------------------

function AddStage({ pipelineId, position }: { pipelineId: string; position: number }) {
  const toast = useToast();
  const id = useId();
  const write = useRecordWrite("stages");
  const [name, setName] = useState("");
  const [probability, setProbability] = useState("");
  const [type, setType] = useState("open");
  const [errors, setErrors] = useState<{ byField: Record<string, string>; message: string | null }>({ byField: {}, message: null });

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors({ byField: {}, message: null });
    const number = Number(probability.trim());
    const body: Record<string, unknown> = { pipeline_id: pipelineId, name: name.trim(), type, position };
    if (probability.trim()) body.probability = Number.isNaN(number) ? probability.trim() : number;
    try {
      await write.mutateAsync({ method: "POST", body });
      toast({ kind: "success", message: `Added stage “${name.trim()}”` });
      setName("");
      setProbability("");
      setType("open");
    } catch (error) {
      setErrors(errorsOf(error));
    }
  };

  return (
    <form onSubmit={submit} aria-label="Add a stage" className="flex flex-wrap items-start gap-2 px-3 py-3 sm:px-4" noValidate>
      <TextField id={`${id}-name`} label="New stage" placeholder="e.g. Demo" value={name} onChange={(e) => setName(e.target.value)} error={errors.byField.name} className="min-w-0 flex-1 basis-40" maxLength={255} />
      <TextField id={`${id}-probability`} label="Win %" inputMode="numeric" value={probability} onChange={(e) => setProbability(e.target.value)} error={errors.byField.probability} className="w-20" />
      <div className="w-24">
        <label htmlFor={`${id}-type`} className="k-label">
          Type
        </label>
        <select id={`${id}-type`} className="k-input h-9" value={type} onChange={(e) => setType(e.target.value)}>
          {STAGE_TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      <Button type="submit" icon="plus" className="mt-5 h-9" loading={write.isPending}>
        Add stage
      </Button>
      {errors.message ? <FormError message={errors.message} className="w-full" /> : null}
    </form>
  );
}

// -- removing a stage ----------------------------------------------------------------------------------------

function RemoveStage({ stage, onClose }: { stage: RecordData; onClose: () => void }) {
  const toast = useToast();
  const write = useRecordWrite("stages");
  const [deals, setDeals] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const name = String(stage.name ?? "");
  useEffect(() => {
    let live = true;
    dealsInStage(stage.id).then(
      (count) => live && setDeals(count),
      (failure: unknown) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [stage.id]);

  if (error) {
    return (
      <Dialog open onClose={onClose} title={`Remove “${name}”?`} width="max-w-md">
        <ErrorBanner error={error} title="Could not check the stage's deals" />
      </Dialog>
    );
  }
  if (deals === null) {
    return (
      <Dialog open onClose={onClose} title={`Remove “${name}”?`} width="max-w-md">
        <div aria-busy="true" aria-label="Checking the stage's deals">
          <Skeleton className="h-4 w-full" />
          <Skeleton className="mt-2 h-4 w-2/3" />
        </div>
      </Dialog>
    );
  }
  if (deals > 0) {
    return (
      <Dialog open onClose={onClose} title={`“${name}” still has deals`} width="max-w-md" footer={<Button onClick={onClose}>Close</Button>}>
        <p className="text-sm">
          {deals === 1 ? "1 deal is" : `${deals} deals are`} in this stage. Move {deals === 1 ? "it" : "them"} to another stage first, so no deal is
          left in a stage that no longer exists.
        </p>
        <p className="mt-3 text-sm">
          <Link to="/deals/board" className="text-accent-text hover:underline">
            Open the deals board
          </Link>
        </p>
      </Dialog>
    );
  }
  return (
    <ConfirmDialog
      open
      title={`Remove “${name}”?`}
      confirmLabel="Remove stage"
      onClose={onClose}
      onConfirm={async () => {
        await write.mutateAsync({ method: "DELETE", id: stage.id });
        toast({ kind: "success", message: `Removed stage “${name}”` });
      }}
    >
      <p>No deal is in this stage. It leaves the pipeline and the board; its history is kept.</p>
    </ConfirmDialog>
  );
}

// -- a pipeline's stages -------------------------------------------------------------------------------------

function Stages({ pipeline, editable }: { pipeline: RecordData; editable: boolean }) {
  const toast = useToast();
  const stages = useStages(pipeline.id);
  const reorder = useReorderStages(pipeline.id);
  const [removing, setRemoving] = useState<RecordData | null>(null);
  const items = stages.data ?? [];
  const next = items.reduce((top, s) => Math.max(top, Number(s.position ?? 0)), -1) + 1;

  if (stages.error) return <ErrorBanner error={stages.error} onRetry={() => void stages.refetch()} />;
  return (
    <Card
      title={`Stages of ${String(pipeline.name ?? "")}`}
      description={editable ? "Deals move through them in this order. Drag a handle, or focus it and use Space and the arrow keys." : undefined}
    >
      <div className="-mx-4 -my-4 sm:-mx-5">
        <div className="hidden gap-2 border-b border-line px-4 py-1.5 text-xs text-faint sm:flex">
          <span className={editable ? "ml-8 flex-1" : "flex-1"}>Name</span>
          <span className="w-20 text-right">Win %</span>
          <span className={editable ? "mr-9 w-24" : "w-24"}>Type</span>
        </div>
        {stages.isLoading ? (
          <div aria-busy="true" aria-label="Loading stages">
            {Array.from({ length: 5 }, (_, i) => (
              <div key={i} className="flex items-center gap-2 border-b border-line px-4 py-2.5">
                <Skeleton className="h-8 flex-1" />
                <Skeleton className="h-8 w-16" />
                <Skeleton className="h-8 w-24" />
              </div>
            ))}
          </div>
        ) : items.length === 0 ? (
          <EmptyState icon="stage" title="No stages yet">
            Add an open stage so deals can enter this pipeline.
          </EmptyState>
        ) : (
          <SortableList
            items={items}
            idOf={(s) => s.id}
            labelOf={(s) => String(s.name ?? "")}
            label={`Stages of ${String(pipeline.name ?? "")}`}
            disabled={!editable}
            rowClassName="border-b border-line bg-surface"
            onReorder={(ordered) =>
              reorder.mutate(ordered, {
                onError: (error) => toast({ kind: "error", message: "The new order was not saved", detail: errorMessage(error) }),
              })
            }
          >
            {(stage, handle) => <StageRow stage={stage} handle={handle} editable={editable} onRemove={() => setRemoving(stage)} />}
          </SortableList>
        )}
        {editable ? <AddStage pipelineId={pipeline.id} position={next} /> : null}
      </div>
      {removing ? <RemoveStage stage={removing} onClose={() => setRemoving(null)} /> : null}
    </Card>
  );
}

// -- creating and renaming a pipeline ------------------------------------------------------------------------

function PipelineDialog({ pipeline, position, onClose, onSaved }: { pipeline?: RecordData; position: number; onClose: () => void; onSaved: (id: string) => void }) {
  const toast = useToast();
  const formId = useId();
  const pipelines = useRecordWrite("pipelines");
  const stages = useRecordWrite("stages");
  const [name, setName] = useState(String(pipeline?.name ?? ""));
  const [starter, setStarter] = useState(true);
  const [errors, setErrors] = useState<{ byField: Record<string, string>; message: string | null }>({ byField: {}, message: null });

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors({ byField: {}, message: null });
    let saved: RecordData | null;
    try {
      saved = pipeline
        ? await pipelines.mutateAsync({ method: "PATCH", id: pipeline.id, body: { name: name.trim() } })
        : await pipelines.mutateAsync({ method: "POST", body: { name: name.trim(), position } });
    } catch (error) {
      setErrors(errorsOf(error));
      return;
    }
    if (!saved) return;
    if (!pipeline && starter) {
      try {
        for (const [index, stage] of STARTER_STAGES.entries()) {
          await stages.mutateAsync({ method: "POST", body: { ...stage, pipeline_id: saved.id, position: index } });
        }
      } catch (error) {
        // The pipeline exists: say what is missing rather than pretend nothing happened.
        toast({ kind: "error", message: "The pipeline was created without all its stages", detail: errorMessage(error) });
      }
    }
    toast({ kind: "success", message: pipeline ? `Renamed to “${name.trim()}”` : `Created pipeline “${name.trim()}”` });
    onSaved(saved.id);
    onClose();
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title={pipeline ? `Rename “${String(pipeline.name ?? "")}”` : "New pipeline"}
      width="max-w-md"
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form={formId} loading={pipelines.isPending || stages.isPending}>
            {pipeline ? "Save" : "Create pipeline"}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="space-y-4" noValidate aria-label={pipeline ? "Rename pipeline" : "New pipeline"}>
        <FormError message={errors.message} />
        <TextField label="Pipeline name" value={name} onChange={(e) => setName(e.target.value)} error={errors.byField.name} maxLength={255} autoFocus placeholder="e.g. Renewals" />
        {pipeline ? null : (
          <label className="flex items-start gap-2 text-sm">
            <input type="checkbox" className="mt-0.5" checked={starter} onChange={(e) => setStarter(e.target.checked)} />
            <span>
              Start with the stages New, Won and Lost
              <span className="block text-xs text-muted">A deal can only enter a pipeline that has an open stage.</span>
            </span>
          </label>
        )}
      </form>
    </Dialog>
  );
}

// -- the section ---------------------------------------------------------------------------------------------

export function PipelinesSettings() {
  const [params, setParams] = useSearchParams();
  const pipelines = usePipelines();
  const pipelineMeta = useObjectMeta("pipelines").meta;
  const stageMeta = useObjectMeta("stages").meta;
  const [dialog, setDialog] = useState<{ pipeline?: RecordData } | null>(null);
  const list = pipelines.data ?? [];
  const selected = list.find((p) => p.id === params.get("pipeline")) ?? list[0];
  const canCreate = pipelineMeta ? can(pipelineMeta, "create") : false;
  const canRename = pipelineMeta ? can(pipelineMeta, "update") : false;
  const canEditStages = stageMeta ? can(stageMeta, "create") && can(stageMeta, "update") && can(stageMeta, "delete") : false;
  const select = (id: string) => setParams({ pipeline: id }, { replace: true });

  return (
    <div>
      <SectionHeader
        title="Pipelines"
        description="The stages deals move through, with the probability of winning at each."
        actions={
          canCreate ? (
            <Button variant="primary" icon="plus" onClick={() => setDialog({})}>
              New pipeline
            </Button>
          ) : null
        }
      />
      {pipelines.error ? <ErrorBanner error={pipelines.error} onRetry={() => void pipelines.refetch()} /> : null}
      {pipelines.isLoading ? (
        <div aria-busy="true" aria-label="Loading pipelines">
          <Skeleton className="mb-6 h-9 w-64" />
          <div className="k-card h-80" />
        </div>
      ) : list.length === 0 && !pipelines.error ? (
        <EmptyState icon="pipeline" title="No pipelines yet">
          {canCreate ? "Create one to give deals stages." : "An admin or a sales manager can create one."}
        </EmptyState>
      ) : selected ? (
        <>
          {canEditStages ? null : <ReadOnlyNotice>Your role can look at pipelines and stages but not change them.</ReadOnlyNotice>}
          <div className="mb-6 flex flex-wrap items-end gap-3">
            <div className="w-full sm:w-64">
              <label htmlFor="pipeline-select" className="k-label">
                Pipeline
              </label>
              <select id="pipeline-select" className="k-input h-9" value={selected.id} onChange={(e) => select(e.target.value)}>
                {list.map((p) => (
                  <option key={p.id} value={p.id}>
                    {String(p.name ?? "")}
                  </option>
                ))}
              </select>
            </div>
            {selected.is_default ? <span className="mb-2"><Badge tone="accent">Default</Badge></span> : null}
            {canRename ? (
              <Button icon="edit" onClick={() => setDialog({ pipeline: selected })}>
                Rename
              </Button>
            ) : null}
          </div>
          <Stages key={selected.id} pipeline={selected} editable={canEditStages} />
        </>
      ) : null}
      {dialog ? <PipelineDialog pipeline={dialog.pipeline} position={list.length} onClose={() => setDialog(null)} onSaved={select} /> : null}
    </div>
  );
}
