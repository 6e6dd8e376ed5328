/**
 * Average time in stage, from the deals' stage history (GET /api/v1/analytics/time-in-state): stints
 * overlapping the period, per open stage of the pipeline. Won and lost stages are left out: a deal stays
 * there for good, so their "time in stage" is only the time since it closed.
 */
import { Link, useNavigate } from "react-router";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { listUrl, useTimeInState } from "./data";
import { ChartCard, CardTable } from "./ChartCard";
import { tooltipFor } from "./ChartTooltip";
import { useChartColors } from "./colors";
import { CategoryTick } from "./CategoryTick";
import { duration, plural } from "./format";
import { rangeInstants, rangeLabel } from "./range";
import { inPipeline, pipelineCardStatus, pipelineEmpty, pipelineChips, type DashboardScope } from "./scope";

interface StageTime {
  id: string;
  name: string;
  /** The mean in the axis unit. */
  value: number;
  mean: number;
  median: number;
  stints: number;
}

export function TimeInStageCard({ scope }: { scope: DashboardScope }) {
  const navigate = useNavigate();
  const colors = useChartColors();
  const filter = inPipeline(scope)[0] ?? null;
  const query = useTimeInState({ object: "deals", field: "stage_id", ...rangeInstants(scope.range), filter }, Boolean(scope.pipelineId));
  const values = new Map((query.data?.groups[0]?.values ?? []).map((value) => [value.value, value]));
  const rows: StageTime[] = (scope.stages ?? [])
    .filter((stage) => stage.type === "open")
    .map((stage) => {
      const value = values.get(stage.id);
      return {
        id: stage.id,
        name: stage.name,
        value: 0,
        mean: value?.mean_seconds ?? 0,
        median: value?.median_seconds ?? 0,
        stints: value?.count ?? 0,
      };
    });
  // Days on the axis, unless every stage is shorter (a young pipeline): then hours or minutes.
  const longest = Math.max(0, ...rows.map((row) => row.mean));
  const unit = longest >= 86_400 ? { seconds: 86_400, suffix: " d" } : longest >= 3_600 ? { seconds: 3_600, suffix: " h" } : { seconds: 60, suffix: " min" };
  for (const row of rows) row.value = row.mean / unit.seconds;
  const status = pipelineCardStatus(scope, query, rows.every((row) => row.stints === 0));
  const summary =
    `Average time deals spent in each stage, ${rangeLabel(scope.range)}: ` +
    rows.map((row) => `${row.name} ${row.stints ? duration(row.mean) : "no deals"}`).join("; ") +
    ".";
  const chipsFor = (row: StageTime) => [...pipelineChips(scope), { field: "stage_id", op: "eq", value: row.id }];

  return (
    <ChartCard
      title="Average time in stage"
      subtitle={`Deals in a stage ${rangeLabel(scope.range)} · from stage history`}
      subject="deals or their stage history"
      status={status}
      error={query.error ?? scope.stagesError}
      onRetry={() => (scope.stagesError ? scope.retryStages() : void query.refetch())}
      empty={pipelineEmpty(scope, { icon: "clock", title: "No stage history yet", text: "No deal of this pipeline was in an open stage during this period." })}
      summary={summary}
      chart={() => (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid horizontal={false} stroke={colors.line} />
            <XAxis type="number" tick={{ fill: colors.muted, fontSize: 11 }} tickLine={false} axisLine={{ stroke: colors.line }} unit={unit.suffix} />
            <YAxis type="category" dataKey="name" tick={(props: object) => <CategoryTick {...props} fill={colors.muted} width={96} />} tickLine={false} axisLine={false} width={96} />
            <Tooltip
              cursor={{ fill: colors.subtle }}
              content={tooltipFor<StageTime>((row) => ({
                title: row.name,
                lines: [
                  { color: colors.accent, text: `Average ${duration(row.mean)}` },
                  { text: `Median ${duration(row.median)} · ${plural(row.stints, "stint")}` },
                ],
              }))}
            />
            <Bar
              dataKey="value"
              name="Average"
              fill={colors.accent}
              radius={[0, 4, 4, 0]}
              cursor="pointer"
              onClick={(item) => navigate(listUrl("deals", chipsFor(item.payload as StageTime)))}
            />
          </BarChart>
        </ResponsiveContainer>
      )}
      table={() => (
        <CardTable caption="Time deals spent in each stage" head={["Stage", "Average", "Median", "Stints"]}>
          {rows.map((row) => (
            <tr key={row.id} className="border-b border-line last:border-0">
              <td className="py-1.5 pr-2">
                <Link className="text-accent-text hover:underline" to={listUrl("deals", chipsFor(row))}>
                  {row.name}
                </Link>
              </td>
              <td className="px-2 py-1.5 text-right tabular-nums">{row.stints ? duration(row.mean) : "–"}</td>
              <td className="px-2 py-1.5 text-right tabular-nums">{row.stints ? duration(row.median) : "–"}</td>
              <td className="px-2 py-1.5 text-right tabular-nums">{row.stints}</td>
            </tr>
          ))}
        </CardTable>
      )}
    />
  );
}
