/**
 * The pipeline as a funnel (GET /api/v1/analytics/funnel): how many deals were in each stage during the period,
 * in pipeline order, and the share that made it from one stage to the next and from the first one.
 */
import { Link, useNavigate } from "react-router";
import { Bar, BarChart, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { listUrl, useFunnel } from "./data";
import { ChartCard, CardTable } from "./ChartCard";
import { tooltipFor } from "./ChartTooltip";
import { useChartColors } from "./colors";
import { CategoryTick } from "./CategoryTick";
import { percent, plural } from "./format";
import { rangeInstants, rangeLabel } from "./range";
import { inPipeline, pipelineCardStatus, pipelineEmpty, pipelineChips, type DashboardScope } from "./scope";
import { funnelRows, type FunnelRow } from "./shape";

export function FunnelCard({ scope }: { scope: DashboardScope }) {
  const navigate = useNavigate();
  const colors = useChartColors();
  const filter = inPipeline(scope)[0] ?? null;
  const query = useFunnel({ object: "deals", field: "stage_id", ...rangeInstants(scope.range), filter }, Boolean(scope.pipelineId));
  const rows = funnelRows(query.data?.groups[0]?.steps ?? [], scope.stages ?? []);
  const status = pipelineCardStatus(scope, query, rows.every((row) => row.entered === 0));
  const first = rows[0];
  const last = rows[rows.length - 1];
  const summary =
    first && last
      ? `Conversion funnel, ${rangeLabel(scope.range)}: ` +
        rows.map((row) => `${row.name} ${row.entered}`).join(", ") +
        `. ${percent(last.fromFirst)} of the deals in ${first.name} reached ${last.name}.`
      : "Conversion funnel.";
  const chipsFor = (row: FunnelRow) => [...pipelineChips(scope), { field: "stage_id", op: "eq", value: row.id }];
  const data = rows.map((row) => ({ ...row, share: percent(row.fromFirst) }));

  return (
    <ChartCard
      title="Conversion funnel"
      subtitle={`Deals in each stage ${rangeLabel(scope.range)}${first && last ? ` · ${percent(last.fromFirst)} reached ${last.name}` : ""}`}
      subject="deals or their stage history"
      status={status}
      error={query.error ?? scope.stagesError}
      onRetry={() => (scope.stagesError ? scope.retryStages() : void query.refetch())}
      empty={pipelineEmpty(scope, { icon: "pipeline", title: "Nothing moved through this pipeline", text: "No deal of this pipeline was in any stage during this period." })}
      summary={summary}
      chart={() => (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} layout="vertical" margin={{ top: 4, right: 48, bottom: 0, left: 0 }} barCategoryGap="18%" accessibilityLayer={false}>
            <XAxis type="number" hide allowDecimals={false} />
            <YAxis type="category" dataKey="name" tick={(props: object) => <CategoryTick {...props} fill={colors.muted} width={96} />} tickLine={false} axisLine={false} width={96} />
            <Tooltip
              cursor={{ fill: colors.subtle }}
              content={tooltipFor<FunnelRow>((row) => ({
                title: row.name,
                lines: [
                  { color: colors.accent, text: plural(row.entered, "deal") },
                  ...(row.fromPrevious !== null ? [{ text: `${percent(row.fromPrevious)} of the previous stage` }] : []),
                  { text: `${percent(row.fromFirst)} of the first stage` },
                ],
              }))}
            />
            <Bar
              dataKey="entered"
              name="Deals"
              fill={colors.accent}
              radius={[0, 4, 4, 0]}
              cursor="pointer"
              onClick={(item) => navigate(listUrl("deals", chipsFor(item.payload as FunnelRow)))}
            >
              <LabelList dataKey="share" position="right" fill={colors.muted} fontSize={11} />
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      )}
      table={() => (
        <CardTable caption="Deals per stage and conversion" head={["Stage", "Deals", "From previous", "From first"]}>
          {rows.map((row) => (
            <tr key={row.id} className="border-b border-line last:border-0">
              <td className="py-1.5 pr-2">
                <Link className="text-accent-text hover:underline" to={listUrl("deals", chipsFor(row))}>
                  {row.name}
                </Link>
              </td>
              <td className="px-2 py-1.5 text-right tabular-nums">{row.entered}</td>
              <td className="px-2 py-1.5 text-right tabular-nums">{percent(row.fromPrevious)}</td>
              <td className="px-2 py-1.5 text-right tabular-nums">{percent(row.fromFirst)}</td>
            </tr>
          ))}
        </CardTable>
      )}
    />
  );
}
