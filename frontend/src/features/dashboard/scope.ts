/** What every card is filtered by — the period and the pipeline — as API filters and as list chips. */
import type { Chip } from "@/features/records/listState";
import type { FilterNode } from "@/lib/types";
import type { CardStatus, ChartCardProps } from "./ChartCard";

type EmptyText = ChartCardProps["empty"];
import { rangeInstants, type DayRange } from "./range";
import type { StageInfo } from "./shape";

export interface DashboardScope {
  range: DayRange;
  pipelineId: string | null;
  /** The pipeline's stages in order (undefined while loading). */
  stages: StageInfo[] | undefined;
  stagesLoading: boolean;
  stagesError: unknown;
  retryStages: () => void;
  /** The workspace's currency: charts draw amounts in it when there are any. */
  currency: string | null;
}

/** Conditions putting ``field`` (a date-time) inside the period: [from, to). */
export function inRange(scope: DashboardScope, field: string): FilterNode[] {
  const { from, to } = rangeInstants(scope.range);
  return [
    { field, op: "gte", value: from },
    { field, op: "lt", value: to },
  ];
}

export function rangeChips(scope: DashboardScope, field: string): Chip[] {
  const { from, to } = rangeInstants(scope.range);
  return [
    { field, op: "gte", value: from },
    { field, op: "lt", value: to },
  ];
}

export function inPipeline(scope: DashboardScope): FilterNode[] {
  return scope.pipelineId ? [{ field: "pipeline_id", op: "eq", value: scope.pipelineId }] : [];
}

export function pipelineChips(scope: DashboardScope): Chip[] {
  return scope.pipelineId ? [{ field: "pipeline_id", op: "eq", value: scope.pipelineId }] : [];
}

/** A pipeline card's state: its stages and its own query loading or failing, or nothing to draw. */
export function pipelineCardStatus(scope: DashboardScope, query: { isLoading: boolean; error: unknown }, empty: boolean): CardStatus {
  if (scope.stagesLoading || query.isLoading) return "loading";
  if (scope.stagesError || query.error) return "error";
  if (!scope.pipelineId || empty) return "empty";
  return "ready";
}

/** A pipeline card's empty state; a workspace without any pipeline yet (no deal ever) is told how to start. */
export function pipelineEmpty(scope: DashboardScope, empty: EmptyText): EmptyText {
  if (scope.pipelineId || scope.stagesLoading) return empty;
  return { icon: "pipeline", title: "No pipeline yet", text: "Create a deal: the Sales pipeline and its stages are set up with it." };
}
