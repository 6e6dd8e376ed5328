/**
 * Server state of the boards: pipelines and stages, one cursor-paged list per column (50 cards a page, never
 * the whole object), column totals from the aggregate API, "time in stage" from `/{object}/since`, and the
 * writes a board makes (a move, a lead conversion).
 *
 * Keys live under ["records", object, ...] so that creating a record (useCreateRecord invalidates
 * ["records", object]) refreshes the columns, the totals and the clocks of that object's board too.
 */
import { useQueries, useQuery, type QueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/api/client";
import { fetchPage, keys, storeRecord, type ListQuery } from "@/api/records";
import type { FilterNode, RecordData } from "@/lib/types";
import { totalsFromAggregate, type Totals } from "./boardLogic";

export const CARDS_PER_PAGE = 50;
/** The /since endpoint takes at most 200 ids; a page is 50, so one call per page. */
const SINCE_BATCH = 200;

export const boardKeys = {
  pipelines: ["records", "pipelines", "board"] as const,
  stages: (pipelineId: string) => ["records", "stages", "board", pipelineId] as const,
  totals: (object: string, field: string, filter: FilterNode | null) => ["records", object, "aggregate", field, filter] as const,
  since: (object: string, field: string, ids: string[]) => ["records", object, "since", field, ids] as const,
};

export function usePipelines() {
  return useQuery({
    queryKey: boardKeys.pipelines,
    queryFn: async () => (await fetchPage("pipelines", { sort: "position,created_at", limit: 200, fields: ["id", "version", "name", "is_default", "position"] })).items,
    staleTime: 60_000,
  });
}

export function useStages(pipelineId: string | null) {
  return useQuery({
    queryKey: boardKeys.stages(pipelineId ?? ""),
    queryFn: async () =>
      (
        await fetchPage("stages", {
          filter: { field: "pipeline_id", op: "eq", value: pipelineId },
          sort: "position",
          limit: 200,
        })
      ).items,
    enabled: Boolean(pipelineId),
    staleTime: 60_000,
  });
}

/** The list query of one column: its filter, newest first, 50 a page, only the fields a card shows. */
export function columnQuery(filter: FilterNode, fields: string[]): ListQuery {
  return { filter, sort: "-created_at", fields, limit: CARDS_PER_PAGE };
}

export function columnKey(object: string, query: ListQuery) {
  return keys.list(object, query);
}

// -- totals --------------------------------------------------------------------------------------------------

type AggregateResult = Schemas["AggregateResult"];

/** Count (and, for deals, amount per currency) of every column at once: one GROUP BY on the server. */
export function useTotals(object: string, field: string, filter: FilterNode | null, sumField: string | null) {
  const metrics = sumField ? `count,sum:${sumField}` : "count";
  return useQuery({
    queryKey: [...boardKeys.totals(object, field, filter), metrics],
    queryFn: async (): Promise<Totals> => {
      const result: AggregateResult = await call(
        api.GET("/api/v1/{object}/aggregate", {
          params: {
            path: { object },
            query: { group_by: field, metrics, filter: filter ? JSON.stringify(filter) : undefined },
          },
        }),
      );
      return totalsFromAggregate(result.groups as never, field, sumField ? `sum:${sumField}` : null);
    },
    staleTime: 15_000,
  });
}

// -- time in column ------------------------------------------------------------------------------------------

/** When each card took its column's value, by id: one call per loaded page. */
export function useSince(object: string, field: string, pages: RecordData[][]): Record<string, string> {
  const batches = pages.flatMap((items) => {
    const ids = items.map((item) => item.id);
    const out: string[][] = [];
    for (let i = 0; i < ids.length; i += SINCE_BATCH) out.push(ids.slice(i, i + SINCE_BATCH));
    return out;
  });
  const results = useQueries({
    queries: batches.map((ids) => ({
      queryKey: boardKeys.since(object, field, ids),
      queryFn: async () =>
        (
          await call(
            api.GET("/api/v1/{object}/since", { params: { path: { object }, query: { field, ids: ids.join(",") } } }),
          )
        ).items,
      enabled: ids.length > 0,
      staleTime: 60_000,
    })),
  });
  const out: Record<string, string> = {};
  for (const result of results) for (const item of result.data ?? []) out[item.id] = item.since;
  return out;
}

// -- writes --------------------------------------------------------------------------------------------------

function ifMatch(version: number | undefined): Record<string, string> {
  return version === undefined ? {} : { "If-Match": `"${version}"` };
}

/** PATCH a deal's stage (If-Match: the card's version). The rules set pipeline, outcome and closed_at. */
export async function patchField(object: string, card: RecordData, field: string, value: string): Promise<RecordData> {
  return (await call(
    api.PATCH("/api/v1/{object}/{id}", {
      params: { path: { object, id: card.id }, header: ifMatch(card.version) as never },
      body: { [field]: value },
    }),
  )) as RecordData;
}

/** A lead's status goes through its own route, which refuses "converted" (that is the conversion's job). */
export async function patchLeadStatus(card: RecordData, status: string): Promise<RecordData> {
  return (await call(
    api.PATCH("/api/v1/leads/{id}/status", {
      params: { path: { id: card.id }, header: ifMatch(card.version) as never },
      body: { status },
    }),
  )) as RecordData;
}

export type LeadConvert = Schemas["LeadConvert"];
export type Conversion = Schemas["ConversionOut"];

export async function convertLead(lead: RecordData, body: LeadConvert): Promise<Conversion> {
  return call(
    api.POST("/api/v1/leads/{id}/convert", {
      params: { path: { id: lead.id }, header: ifMatch(lead.version) as never },
      body,
    }),
  );
}

/** After a conversion: the lead, and the lists of what it created or matched, are stale everywhere. */
export function afterConversion(client: QueryClient, result: Conversion): void {
  storeRecord(client, "leads", result.lead as RecordData);
  for (const object of ["leads", "contacts", "companies", "deals"]) {
    void client.invalidateQueries({ queryKey: ["records", object] });
  }
  void client.invalidateQueries({ queryKey: ["history", "leads", String(result.lead.id)] });
}

