/**
 * The sales dashboard (issue #6): pipeline value by stage, deals won and lost over time, average time in
 * stage, the conversion funnel, leads by status and by source, activities by rep. One period and one pipeline
 * apply to every card; both live in the URL (?range=90d&pipeline=<id>, ?range=custom&from=&to=), so a view
 * can be shared and survives a reload. Every bar opens the list of the records it counts.
 */
import { useMemo, useRef } from "react";
import { useSearchParams } from "react-router";
import { useMe } from "@/auth/AuthProvider";
import { Icon } from "@/ui/Icon";
import { ActivitiesCard } from "./ActivitiesCard";
import { PipelinePicker, RangePicker } from "./Controls";
import { usePipelines, useStages } from "./data";
import { FunnelCard } from "./FunnelCard";
import { LeadsBySourceCard, LeadsByStatusCard } from "./LeadsCards";
import { PipelineCard } from "./PipelineCard";
import { isDay, isoDay, isPreset, resolveRange, type DayRange, type RangePreset } from "./range";
import type { DashboardScope } from "./scope";
import { TimeInStageCard } from "./TimeInStageCard";
import { WonLostCard } from "./WonLostCard";

const DEFAULT_PRESET: RangePreset = "90d";

function usePeriod() {
  const [params, setParams] = useSearchParams();
  const today = isoDay(new Date());
  const raw = params.get("range");
  const preset: RangePreset = isPreset(raw) ? raw : DEFAULT_PRESET;
  const custom: DayRange = {
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
  };
  const resolved = resolveRange(preset, today, custom);
  // An unfinished custom period (one day cleared, or from after to) keeps the charts on the last valid one.
  const lastValid = useRef<DayRange>(resolveRange(DEFAULT_PRESET, today) as DayRange);
  if (resolved) lastValid.current = resolved;
  const range = resolved ?? lastValid.current;

  const set = (changes: Record<string, string | null>) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        return next;
      },
      { replace: true },
    );
  return {
    preset,
    range,
    invalid: preset === "custom" && !resolved,
    custom: preset === "custom" ? custom : range,
    pipelineParam: params.get("pipeline"),
    setPreset: (next: RangePreset) =>
      next === "custom"
        ? set({ range: "custom", from: isDay(custom.from) ? custom.from : range.from, to: isDay(custom.to) ? custom.to : range.to })
        : set({ range: next === DEFAULT_PRESET ? null : next, from: null, to: null }),
    setCustom: (next: DayRange) => set({ range: "custom", from: next.from || null, to: next.to || null }),
    setPipeline: (id: string) => set({ pipeline: id }),
  };
}

export default function DashboardPage() {
  const me = useMe();
  const period = usePeriod();
  const pipelines = usePipelines();
  const list = pipelines.data ?? [];
  const chosen =
    list.find((pipeline) => pipeline.id === period.pipelineParam) ?? list.find((pipeline) => pipeline.is_default) ?? list[0] ?? null;
  const stages = useStages(chosen?.id ?? null);
  const scope: DashboardScope = useMemo(
    () => ({
      range: period.range,
      pipelineId: chosen?.id ?? null,
      stages: stages.data,
      stagesLoading: pipelines.isLoading || stages.isLoading,
      stagesError: pipelines.error ?? stages.error,
      retryStages: () => void (pipelines.error ? pipelines.refetch() : stages.refetch()),
      currency: me.workspace.default_currency ?? null,
    }),
    [period.range, chosen?.id, stages, pipelines, me.workspace.default_currency],
  );

  return (
    <div className="h-full overflow-y-auto bg-canvas">
      <header className="flex min-h-12 flex-wrap items-center gap-x-3 gap-y-2 border-b border-line bg-surface px-3 py-2 sm:px-4">
        <div className="flex min-w-0 items-center gap-2">
          <Icon name="grid" size={16} className="shrink-0 text-muted" />
          <h1 className="truncate text-sm font-semibold">Dashboard</h1>
        </div>
        <div role="group" aria-label="Dashboard filters" className="flex flex-wrap items-center gap-2 sm:ml-auto">
          <RangePicker
            preset={period.preset}
            custom={period.custom}
            invalid={period.invalid}
            onPreset={period.setPreset}
            onCustom={period.setCustom}
          />
          <PipelinePicker pipelines={list} value={chosen?.id ?? null} loading={pipelines.isLoading} onChange={period.setPipeline} />
        </div>
      </header>
      <div className="grid grid-cols-1 gap-3 p-3 sm:gap-4 sm:p-4 xl:grid-cols-2">
        <PipelineCard scope={scope} />
        <WonLostCard scope={scope} />
        <FunnelCard scope={scope} />
        <TimeInStageCard scope={scope} />
        <LeadsByStatusCard scope={scope} />
        <LeadsBySourceCard scope={scope} />
        <div className="xl:col-span-2">
          <ActivitiesCard scope={scope} />
        </div>
      </div>
    </div>
  );
}
