/**
 * The deals board: one pipeline's stages as columns, deals as cards moved between them (PATCH stage_id with
 * If-Match), column counts and amounts from the aggregate API, time in stage on every card.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useObjectMeta } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { isEditable } from "@/lib/fields";
import type { FilterNode, RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { EmptyState } from "@/ui/EmptyState";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { CreateRecordDialog } from "@/features/records/CreateRecordDialog";
import { Board } from "./Board";
import { boardKeys, patchField, usePipelines, useStages, useTotals } from "./boardApi";
import { choosePipeline, columnsFromStages, quickFilter, readableFields, type BoardColumn } from "./boardLogic";
import { BoardHeader, BoardSkeleton } from "./BoardFrame";
import { BoardToolbar } from "./BoardToolbar";
import { DealCard } from "./cards";
import { useNow } from "./useNow";

const CARD_FIELDS = ["id", "version", "name", "amount", "company_id", "owner_id", "stage_id", "pipeline_id", "outcome", "closed_at", "created_at"];

function rememberKey(workspace: string): string {
  return `kronos.board.pipeline.${workspace}`;
}

function remembered(workspace: string): string | null {
  try {
    return localStorage.getItem(rememberKey(workspace));
  } catch {
    return null;
  }
}

export default function DealsBoardPage() {
  const me = useMe();
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();
  const now = useNow();
  const [params, setParams] = useSearchParams();
  const { meta, isLoading: metaLoading, error: metaError } = useObjectMeta("deals");
  const pipelines = usePipelines();
  const pipelineId = choosePipeline(pipelines.data, params.get("pipeline"), remembered(me.workspace.id));
  const stages = useStages(pipelineId);
  const columns = useMemo(() => columnsFromStages(stages.data ?? []), [stages.data]);
  const [search, setSearch] = useState("");
  const [mine, setMine] = useState(false);
  const [creating, setCreating] = useState<{ column: BoardColumn | null } | null>(null);

  const fieldNames = meta?.fields ?? [];
  const has = (name: string) => fieldNames.some((f) => f.name === name);
  const fields = useMemo(() => readableFields(meta?.fields ?? [], CARD_FIELDS), [meta]);
  const quick = quickFilter({
    ownerField: has("owner_id") ? "owner_id" : null,
    me: me.user.id,
    mine,
    search,
    searchFields: has("name") ? ["name"] : [],
  });
  const totalsFilter: FilterNode | null = pipelineId
    ? quick
      ? { and: [{ field: "pipeline_id", op: "eq", value: pipelineId }, quick] }
      : { field: "pipeline_id", op: "eq", value: pipelineId }
    : null;
  const sumField = has("amount") ? "amount" : null;
  const totals = useTotals("deals", "stage_id", totalsFilter, sumField);
  const stageField = meta?.fields.find((f) => f.name === "stage_id");
  // The object's permissions when the server sends them; the field's access says the same otherwise.
  const canMove = stageField?.access === "write" && meta?.permissions?.update !== false;
  const canCreate = meta?.permissions?.create ?? Boolean(meta?.fields.some(isEditable));

  const choose = (id: string) => {
    try {
      localStorage.setItem(rememberKey(me.workspace.id), id);
    } catch {
      // Private mode: the choice lasts as long as the address does.
    }
    setParams((current) => {
      const next = new URLSearchParams(current);
      next.set("pipeline", id);
      next.delete("focus");
      return next;
    });
  };

  const send = useCallback((card: RecordData, to: BoardColumn) => patchField("deals", card, "stage_id", to.value), []);
  const onMoved = useCallback(
    (saved: RecordData, to: BoardColumn) => {
      const name = String(saved.name ?? "The deal");
      if (to.tone === "won") toast({ kind: "success", message: `${name} won`, detail: "Marked won and closed today." });
      if (to.tone === "lost") toast({ kind: "info", message: `${name} lost`, detail: "Marked lost and closed today." });
    },
    [toast],
  );

  const header = (
    <BoardHeader title="Deals board" listPath="/deals">
      {pipelines.data && pipelines.data.length > 0 ? (
        <label className="flex min-w-0 items-center gap-1.5 text-xs text-muted">
          <span className="sr-only sm:not-sr-only">Pipeline</span>
          <select
            aria-label="Pipeline"
            className="k-input h-8 max-w-44 min-w-0 sm:max-w-56"
            value={pipelineId ?? ""}
            onChange={(e) => choose(e.target.value)}
          >
            {pipelines.data.map((p) => (
              <option key={p.id} value={p.id}>
                {String(p.name)}
              </option>
            ))}
          </select>
        </label>
      ) : pipelines.isLoading ? (
        <Skeleton className="h-8 w-40" />
      ) : null}
      {canCreate ? (
        <Button variant="primary" icon="plus" onClick={() => setCreating({ column: columns.find((c) => c.tone === "open") ?? null })} aria-label="New deal">
          <span className="sr-only sm:not-sr-only">New deal</span>
        </Button>
      ) : null}
    </BoardHeader>
  );

  const error = metaError ?? pipelines.error ?? stages.error;
  let body;
  if (error) {
    body = (
      <div className="p-4">
        <ErrorBanner error={error} onRetry={() => void client.invalidateQueries({ queryKey: ["records", "pipelines"] })} />
      </div>
    );
  } else if (metaLoading || pipelines.isLoading || (pipelineId && stages.isLoading)) {
    body = <BoardSkeleton />;
  } else if (!meta) {
    body = <EmptyState icon="deal" title="Deals are not available">Your role cannot read deals.</EmptyState>;
  } else if (!pipelineId) {
    body = (
      <EmptyState icon="pipeline" title="No pipeline yet">
        The Sales pipeline and its stages are created with the first deal.
        {canCreate ? (
          <Button className="mt-3" icon="plus" onClick={() => setCreating({ column: null })}>
            Create the first deal
          </Button>
        ) : null}
      </EmptyState>
    );
  } else if (columns.length === 0) {
    body = <EmptyState icon="stage" title="This pipeline has no stages">Add stages to it in Settings to use the board.</EmptyState>;
  } else {
    body = (
      <Board
        object="deals"
        field="stage_id"
        columns={columns}
        quick={quick}
        fields={fields}
        totalsKey={boardKeys.totals("deals", "stage_id", totalsFilter)}
        totals={totals.data}
        totalsLoading={totals.isLoading}
        canMove={canMove}
        send={send}
        onMoved={onMoved}
        renderCard={(card, context) => <DealCard deal={card} since={context.since} now={now} />}
        describe={(card) => String(card.name ?? "Untitled deal")}
        open={(card) => navigate(`/deals/${card.id}`)}
        onCreateIn={canCreate ? (column) => setCreating({ column }) : undefined}
        createLabel="New deal"
        focusId={params.get("focus")}
      />
    );
  }

  return (
    <div className="flex h-full flex-col">
      {header}
      <BoardToolbar search={search} onSearch={setSearch} mine={mine} onMine={has("owner_id") ? setMine : null} placeholder="Search deals">
        {!canMove && meta && pipelineId ? (
          <span className="ml-auto inline-flex items-center gap-1 text-xs text-muted" data-testid="board-read-only">
            Read only: your role cannot move deals
          </span>
        ) : null}
        {totals.error ? <span className="text-xs text-danger">Totals unavailable: {String((totals.error as Error).message)}</span> : null}
      </BoardToolbar>
      {body}
      {creating && meta ? (
        <CreateRecordDialog
          meta={meta}
          open
          onClose={() => setCreating(null)}
          initial={creating.column && pipelineId ? { pipeline_id: pipelineId, stage_id: creating.column.value } : undefined}
          onCreated={(record) => {
            setCreating(null);
            toast({ kind: "success", message: `Deal “${String(record.name ?? "")}” created` });
            // The first deal of a workspace creates its pipeline: show it.
            void client.invalidateQueries({ queryKey: ["records", "pipelines"] });
            void client.invalidateQueries({ queryKey: ["records", "stages"] });
          }}
        />
      ) : null}
    </div>
  );
}
