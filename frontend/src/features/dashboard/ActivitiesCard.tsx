/** Activities by rep: activities created in the period per assignee (by name), stacked by kind. */
import { Link, useNavigate } from "react-router";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useMembers, useObjectMeta } from "@/api/records";
import type { Chip } from "@/features/records/listState";
import { allOf, listUrl, useAggregate } from "./data";
import { ChartCard, CardTable, type CardStatus } from "./ChartCard";
import { tooltipFor } from "./ChartTooltip";
import { useChartColors } from "./colors";
import { plural } from "./format";
import { rangeLabel } from "./range";
import { inRange, rangeChips, type DashboardScope } from "./scope";
import { repRows, type RepRow } from "./shape";

const USER_FIELD = "assignee_id";
const MAX_REPS = 10;

export function ActivitiesCard({ scope }: { scope: DashboardScope }) {
  const navigate = useNavigate();
  const colors = useChartColors();
  const { meta } = useObjectMeta("activities");
  const members = useMembers();
  const query = useAggregate("activities", { groupBy: `${USER_FIELD},kind`, metrics: "count", filter: allOf(inRange(scope, "created_at")) });
  const names = new Map((members.data ?? []).map((member) => [member.user_id, member.full_name || member.email]));
  const rows = repRows(query.data?.groups ?? [], USER_FIELD, names).slice(0, MAX_REPS);
  const options = meta?.fields.find((f) => f.name === "kind")?.options ?? [];
  const seen = new Set(rows.flatMap((row) => Object.keys(row.byKind)));
  const kinds = [
    ...options.filter((option) => seen.has(option.value)),
    ...[...seen].filter((kind) => !options.some((option) => option.value === kind)).map((kind) => ({ value: kind, label: kind })),
  ];
  const data = rows.map((row) => ({ ...row, ...Object.fromEntries(kinds.map((kind) => [kind.value, row.byKind[kind.value] ?? 0])) }));
  const total = query.data?.totals.count ?? 0;
  const status: CardStatus = query.isLoading || members.isLoading ? "loading" : query.error ? "error" : total === 0 ? "empty" : "ready";
  const chipsFor = (row: RepRow, kind?: string): Chip[] => [
    row.userId ? { field: USER_FIELD, op: "eq", value: row.userId } : { field: USER_FIELD, op: "is_null" },
    ...(kind ? [{ field: "kind", op: "eq", value: kind }] : []),
    ...rangeChips(scope, "created_at"),
  ];
  const summary =
    `Activities created ${rangeLabel(scope.range)} by rep: ` +
    rows
      .map((row) => `${row.name} ${row.total} (${kinds.map((kind) => `${row.byKind[kind.value] ?? 0} ${kind.label}`).join(", ")})`)
      .join("; ") +
    ".";

  return (
    <ChartCard
      title="Activities by rep"
      subtitle={`${plural(total, "activity", "activities")} created ${rangeLabel(scope.range)}`}
      subject="activities"
      status={status}
      error={query.error}
      onRetry={() => void query.refetch()}
      empty={{ icon: "activity", title: "No activities", text: "No call, meeting, e-mail, note or task was logged in this period." }}
      summary={summary}
      chart={() => (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid horizontal={false} stroke={colors.line} />
            <XAxis type="number" allowDecimals={false} tick={{ fill: colors.muted, fontSize: 11 }} tickLine={false} axisLine={{ stroke: colors.line }} />
            <YAxis type="category" dataKey="name" tick={{ fill: colors.muted, fontSize: 11 }} tickLine={false} axisLine={false} width={112} />
            <Tooltip
              cursor={{ fill: colors.subtle }}
              content={tooltipFor<RepRow>((row) => ({
                title: `${row.name}: ${plural(row.total, "activity", "activities")}`,
                lines: kinds.map((kind, index) => ({
                  color: colors.series[index % colors.series.length],
                  text: `${kind.label}: ${row.byKind[kind.value] ?? 0}`,
                })),
              }))}
            />
            <Legend wrapperStyle={{ fontSize: 11, color: colors.muted }} iconSize={8} />
            {kinds.map((kind, index) => (
              <Bar
                key={kind.value}
                dataKey={kind.value}
                name={kind.label}
                stackId="kinds"
                fill={colors.series[index % colors.series.length]}
                cursor="pointer"
                onClick={(item) => navigate(listUrl("activities", chipsFor(item.payload as RepRow, kind.value)))}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      )}
      table={() => (
        <CardTable caption="Activities by rep and kind" head={["Rep", ...kinds.map((kind) => kind.label), "Total"]}>
          {rows.map((row) => (
            <tr key={row.userId ?? "none"} className="border-b border-line last:border-0">
              <td className="py-1.5 pr-2">
                <Link className="text-accent-text hover:underline" to={listUrl("activities", chipsFor(row))}>
                  {row.name}
                </Link>
              </td>
              {kinds.map((kind) => (
                <td key={kind.value} className="px-2 py-1.5 text-right tabular-nums">
                  {row.byKind[kind.value] ?? 0}
                </td>
              ))}
              <td className="px-2 py-1.5 text-right font-medium tabular-nums">{row.total}</td>
            </tr>
          ))}
        </CardTable>
      )}
    />
  );
}
