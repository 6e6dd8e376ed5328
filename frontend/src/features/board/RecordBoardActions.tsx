/**
 * What a deal's or a lead's record page offers from the boards: "View on board" (the card highlighted in its
 * pipeline) and, for a lead not yet converted, "Convert" (the conversion dialog, loaded when first opened).
 */
import { lazy, Suspense, useState } from "react";
import { Link, useNavigate } from "react-router";
import type { ObjectMeta, RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Icon } from "@/ui/Icon";

const ConvertLeadDialog = lazy(() => import("./ConvertLeadDialog").then((m) => ({ default: m.ConvertLeadDialog })));

export function boardLink(object: string, record: RecordData): string | null {
  const focus = `focus=${encodeURIComponent(record.id)}`;
  if (object === "deals") {
    return typeof record.pipeline_id === "string" ? `/deals/board?pipeline=${encodeURIComponent(record.pipeline_id)}&${focus}` : `/deals/board?${focus}`;
  }
  if (object === "leads") return `/leads/board?${focus}`;
  return null;
}

export function RecordBoardActions({ meta, record }: { meta: ObjectMeta; record: RecordData }) {
  const navigate = useNavigate();
  const [converting, setConverting] = useState(false);
  const link = boardLink(meta.name, record);
  if (!link) return null;
  const status = meta.fields.find((f) => f.name === "status");
  const canConvert =
    meta.name === "leads" && status?.access === "write" && meta.permissions?.update !== false && record.status !== "converted";
  return (
    <>
      <Link
        to={link}
        aria-label="View on board"
        title="View on board"
        className="inline-flex h-7 items-center gap-1.5 rounded-md px-2 text-xs font-medium text-muted hover:bg-hover hover:text-fg"
      >
        <Icon name="columns" size={14} />
        <span className="sr-only sm:not-sr-only">View on board</span>
      </Link>
      {canConvert ? (
        <Button size="sm" variant="primary" icon="check" onClick={() => setConverting(true)}>
          Convert
        </Button>
      ) : null}
      {converting ? (
        <Suspense fallback={null}>
          <ConvertLeadDialog
            lead={record}
            onClose={() => setConverting(false)}
            onConverted={(result) => {
              setConverting(false);
              navigate(result.deal ? `/deals/${String(result.deal.id)}` : `/contacts/${String(result.contact.id)}`);
            }}
          />
        </Suspense>
      ) : null}
    </>
  );
}
