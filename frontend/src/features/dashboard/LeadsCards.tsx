/** Leads created in the period, by status (in the status order) and by source (the biggest ones, then "Other"). */
import { Link, useNavigate } from "react-router";
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useObjectMeta } from "@/api/records";
import type { Chip } from "@/features/records/listState";
import { optionLabel } from "@/lib/fields";
import { allOf, listUrl, useAggregate } from "./data";
import { ChartCard, CardTable, type CardStatus } from "./ChartCard";
import { tooltipFor } from "./ChartTooltip";
import { useChartColors } from "./colors";
import { plural } from "./format";
import { rangeLabel } from "./range";
import { inRange, rangeChips, type DashboardScope } from "./scope";
import { topCategories, type AggregateGroup, type Category } from "./shape";

function chipFor(field: string, value: string | null): Chip {
  return value === null ? { field, op: "is_null" } : { field, op: "eq", value };
}

interface CategoryCardProps {
  scope: DashboardScope;
  title: string;
  field: string;
  categories: (groups: AggregateGroup[]) => Category[];
  colorByIndex: boolean;
  empty: string;
}

function LeadCategoryCard({ scope, title, field, categories, colorByIndex, empty }: CategoryCardProps) {
  const navigate = useNavigate();
  const colors = useChartColors();
  const query = useAggregate("leads", { groupBy: field, metrics: "count", filter: allOf(inRange(scope, "created_at")) });
  const rows = categories(query.data?.groups ?? []);
  const total = query.data?.totals.count ?? 0;
  const status: CardStatus = query.isLoading ? "loading" : query.error ? "error" : total === 0 ? "empty" : "ready";
  const href = (row: Category) =>
    row.value === undefined ? null : listUrl("leads", [chipFor(field, row.value), ...rangeChips(scope, "created_at")]);
  const summary =
    `${title}, ${plural(total, "lead")} created ${rangeLabel(scope.range)}: ` + rows.map((row) => `${row.label} ${row.count}`).join(", ") + ".";

  return (
    <ChartCard
      title={title}
      subtitle={`${plural(total, "lead")} created ${rangeLabel(scope.range)}`}
      subject="leads"
      status={status}
      error={query.error}
      onRetry={() => void query.refetch()}
      empty={{ icon: "lead", title: "No new leads", text: empty }}
      summary={summary}
      height={220}
      chart={() => (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid horizontal={false} stroke={colors.line} />
            <XAxis type="number" allowDecimals={false} tick={{ fill: colors.muted, fontSize: 11 }} tickLine={false} axisLine={{ stroke: colors.line }} />
            <YAxis type="category" dataKey="label" tick={{ fill: colors.muted, fontSize: 11 }} tickLine={false} axisLine={false} width={104} />
            <Tooltip
              cursor={{ fill: colors.subtle }}
              content={tooltipFor<Category>((row) => ({ title: row.label, lines: [{ text: plural(row.count, "lead") }] }))}
            />
            <Bar
              dataKey="count"
              name="Leads"
              fill={colors.accent}
              radius={[0, 4, 4, 0]}
              cursor="pointer"
              onClick={(item) => {
                const target = href(item.payload as Category);
                if (target) navigate(target);
              }}
            >
              {rows.map((row, index) => (
                <Cell key={String(row.value)} fill={colorByIndex ? colors.series[index % colors.series.length] : colors.accent} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      )}
      table={() => (
        <CardTable caption={title} head={[field === "status" ? "Status" : "Source", "Leads"]}>
          {rows.map((row) => {
            const target = href(row);
            return (
              <tr key={String(row.value)} className="border-b border-line last:border-0">
                <td className="py-1.5 pr-2">
                  {target ? (
                    <Link className="text-accent-text hover:underline" to={target}>
                      {row.label}
                    </Link>
                  ) : (
                    row.label
                  )}
                </td>
                <td className="px-2 py-1.5 text-right tabular-nums">{row.count}</td>
              </tr>
            );
          })}
        </CardTable>
      )}
    />
  );
}

export function LeadsByStatusCard({ scope }: { scope: DashboardScope }) {
  const { meta } = useObjectMeta("leads");
  const field = meta?.fields.find((f) => f.name === "status");
  const categories = (groups: AggregateGroup[]): Category[] => {
    const counts = new Map(groups.map((group) => [group.key.status ?? null, group.count]));
    const known = (field?.options ?? []).map((option) => ({ value: option.value, label: option.label, count: counts.get(option.value) ?? 0 }));
    // Values no longer among the options (renamed in settings) still count.
    const stray = groups
      .filter((group) => !known.some((item) => item.value === group.key.status))
      .map((group) => {
        const value = group.key.status === null ? null : String(group.key.status);
        return { value, label: value === null ? "No status" : field ? optionLabel(field, value) : value, count: group.count };
      });
    return [...known, ...stray];
  };
  return (
    <LeadCategoryCard
      scope={scope}
      title="Leads by status"
      field="status"
      categories={categories}
      colorByIndex
      empty="No lead was created in this period."
    />
  );
}

export function LeadsBySourceCard({ scope }: { scope: DashboardScope }) {
  return (
    <LeadCategoryCard
      scope={scope}
      title="Leads by source"
      field="source"
      categories={(groups) => topCategories(groups, "source", (value) => value ?? "No source")}
      colorByIndex={false}
      empty="No lead was created in this period."
    />
  );
}
