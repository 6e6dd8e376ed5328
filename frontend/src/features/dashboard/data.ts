/**
 * The dashboard's server state: aggregates, history analytics, pipelines and their stages. Keys start with
 * "records" and the object, so any write that refreshes an object's lists refreshes its charts too.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/api/client";
import { fetchPage } from "@/api/records";
import type { Chip } from "@/features/records/listState";
import type { FilterNode } from "@/lib/types";
import type { AggregateGroup, StageInfo } from "./shape";

export interface AggregateQuery {
  groupBy?: string;
  metrics?: string;
  filter?: FilterNode | null;
}

export interface Aggregate {
  groups: AggregateGroup[];
  totals: { count: number; [metric: string]: unknown };
}

/** A condition list as the API's filter tree (null when empty). */
export function allOf(conditions: FilterNode[]): FilterNode | null {
  if (conditions.length === 0) return null;
  return conditions.length === 1 ? conditions[0]! : { and: conditions };
}

export function useAggregate(object: string, query: AggregateQuery, enabled = true) {
  return useQuery({
    queryKey: ["records", object, "aggregate", query] as const,
    queryFn: async (): Promise<Aggregate> => {
      const answer = await call(
        api.GET("/api/v1/{object}/aggregate", {
          params: {
            path: { object },
            query: {
              group_by: query.groupBy || undefined,
              metrics: query.metrics || undefined,
              filter: query.filter ? JSON.stringify(query.filter) : undefined,
            },
          },
        }),
      );
      return answer as unknown as Aggregate;
    },
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}

export interface StateQuery {
  object: string;
  field: string;
  from: string;
  to: string;
  filter?: FilterNode | null;
}

function stateParams(query: StateQuery) {
  return {
    object: query.object,
    field: query.field,
    from: query.from,
    to: query.to,
    filter: query.filter ? JSON.stringify(query.filter) : undefined,
  };
}

export function useTimeInState(query: StateQuery, enabled = true) {
  return useQuery({
    queryKey: ["records", query.object, "time-in-state", query] as const,
    queryFn: (): Promise<Schemas["TimeInState"]> =>
      call(api.GET("/api/v1/analytics/time-in-state", { params: { query: stateParams(query) } })),
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}

export function useFunnel(query: StateQuery, enabled = true) {
  return useQuery({
    queryKey: ["records", query.object, "funnel", query] as const,
    queryFn: (): Promise<Schemas["Funnel"]> =>
      call(api.GET("/api/v1/analytics/funnel", { params: { query: stateParams(query) } })),
    enabled,
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}

export interface PipelineInfo {
  id: string;
  name: string;
  is_default: boolean;
}

export function usePipelines() {
  return useQuery({
    queryKey: ["records", "pipelines", "dashboard"] as const,
    queryFn: async (): Promise<PipelineInfo[]> => {
      const page = await fetchPage("pipelines", { sort: "position,created_at", fields: ["id", "name", "is_default"], limit: 200 });
      return page.items.map((item) => ({ id: item.id, name: String(item.name ?? ""), is_default: item.is_default === true }));
    },
    staleTime: 60_000,
  });
}

export function useStages(pipelineId: string | null) {
  return useQuery({
    queryKey: ["records", "stages", "dashboard", pipelineId] as const,
    queryFn: async (): Promise<StageInfo[]> => {
      const page = await fetchPage("stages", {
        filter: { field: "pipeline_id", op: "eq", value: pipelineId },
        sort: "position",
        fields: ["id", "name", "position", "type"],
        limit: 200,
      });
      return page.items.map((item) => ({
        id: item.id,
        name: String(item.name ?? ""),
        position: Number(item.position ?? 0),
        type: String(item.type ?? "open"),
      }));
    },
    enabled: Boolean(pipelineId),
    staleTime: 60_000,
  });
}

/** The list of ``object`` filtered by ``chips``, as the list page reads them from its URL (?f=). */
export function listUrl(object: string, chips: Chip[]): string {
  return chips.length ? `/${object}?f=${encodeURIComponent(JSON.stringify(chips))}` : `/${object}`;
}
