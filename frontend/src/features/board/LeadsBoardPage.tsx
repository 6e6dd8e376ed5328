/**
 * The leads board: one column per lead status (the workspace's options, from the metadata), moves through
 * PATCH /api/v1/leads/{id}/status. "Converted" takes no plain move: dropping a lead there opens the conversion.
 */
import { useCallback, useMemo, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useObjectMeta } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { isEditable } from "@/lib/fields";
import type { RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { EmptyState } from "@/ui/EmptyState";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { CreateRecordDialog } from "@/features/records/CreateRecordDialog";
import { Board } from "./Board";
import { boardKeys, patchLeadStatus, useTotals } from "./boardApi";
import { columnsFromOptions, quickFilter, readableFields, type BoardColumn } from "./boardLogic";
import { BoardHeader, BoardSkeleton } from "./BoardFrame";
import { BoardToolbar } from "./BoardToolbar";
import { leadName, LeadCard } from "./cards";
import { ConvertLeadDialog } from "./ConvertLeadDialog";
import { useNow } from "./useNow";

const CARD_FIELDS = ["id", "version", "first_name", "last_name", "company_name", "email", "score", "status", "owner_id", "created_at"];
const SEARCH_FIELDS = ["last_name", "first_name", "company_name", "email"];
const CONVERTED = "converted";

export default function LeadsBoardPage() {
  const me = useMe();
  const navigate = useNavigate();
  const now = useNow();
  const [params] = useSearchParams();
  const { meta, isLoading, error } = useObjectMeta("leads");
  const [search, setSearch] = useState("");
  const [mine, setMine] = useState(false);
  const [converting, setConverting] = useState<RecordData | null>(null);
  const [creating, setCreating] = useState<BoardColumn | null>(null);

  const status = meta?.fields.find((f) => f.name === "status");
  const columns = useMemo(() => columnsFromOptions(status?.options ?? [], [CONVERTED]), [status]);
  const fields = useMemo(() => readableFields(meta?.fields ?? [], CARD_FIELDS), [meta]);
  const names = new Set((meta?.fields ?? []).map((f) => f.name));
  const quick = quickFilter({
    ownerField: names.has("owner_id") ? "owner_id" : null,
    me: me.user.id,
    mine,
    search,
    searchFields: SEARCH_FIELDS.filter((name) => names.has(name)),
  });
  const totals = useTotals("leads", "status", quick, null);
  const canMove = status?.access === "write" && meta?.permissions?.update !== false;
  const canCreate = meta?.permissions?.create ?? Boolean(meta?.fields.some(isEditable));

  const send = useCallback((card: RecordData, to: BoardColumn) => patchLeadStatus(card, to.value), []);
  const convertMenu = (card: RecordData) =>
    canMove && card.status !== CONVERTED ? [{ label: "Convert…", onSelect: () => setConverting(card) }] : [];

  let body;
  if (error) body = <div className="p-4"><ErrorBanner error={error} /></div>;
  else if (isLoading) body = <BoardSkeleton />;
  else if (!meta || !status) body = <EmptyState icon="lead" title="Leads are not available">Your role cannot read leads or their status.</EmptyState>;
  else {
    body = (
      <Board
        object="leads"
        field="status"
        columns={columns}
        quick={quick}
        fields={fields}
        totalsKey={boardKeys.totals("leads", "status", quick)}
        totals={totals.data}
        totalsLoading={totals.isLoading}
        canMove={canMove}
        send={send}
        onDropClosed={(card) => setConverting(card)}
        renderCard={(card, context) => <LeadCard lead={card} since={context.since} now={now} />}
        describe={leadName}
        open={(card) => navigate(`/leads/${card.id}`)}
        menu={convertMenu}
        onCreateIn={canCreate ? (column) => setCreating(column) : undefined}
        createLabel="New lead"
        focusId={params.get("focus")}
      />
    );
  }

  return (
    <div className="flex h-full flex-col">
      <BoardHeader title="Leads board" listPath="/leads">
        {canCreate ? (
          <Button variant="primary" icon="plus" onClick={() => setCreating(columns[0] ?? null)} aria-label="New lead">
            <span className="sr-only sm:not-sr-only">New lead</span>
          </Button>
        ) : null}
      </BoardHeader>
      <BoardToolbar search={search} onSearch={setSearch} mine={mine} onMine={names.has("owner_id") ? setMine : null} placeholder="Search leads">
        {meta && !canMove ? (
          <span className="ml-auto text-xs text-muted" data-testid="board-read-only">
            Read only: your role cannot move leads
          </span>
        ) : null}
      </BoardToolbar>
      {body}
      {converting ? (
        <ConvertLeadDialog
          lead={converting}
          onClose={() => setConverting(null)}
          onConverted={(result) => {
            setConverting(null);
            navigate(result.deal ? `/deals/${String(result.deal.id)}` : `/contacts/${String(result.contact.id)}`);
          }}
        />
      ) : null}
      {creating && meta ? (
        <CreateRecordDialog meta={meta} open onClose={() => setCreating(null)} initial={{ status: creating.value }} onCreated={() => setCreating(null)} />
      ) : null}
    </div>
  );
}
