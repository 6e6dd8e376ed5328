/** Pipeline value by stage: the open deals created in the period, summed per stage in the main currency. */
import { Link, useNavigate } from "react-router";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { allOf, listUrl, useAggregate } from "./data";
import { ChartCard, CardTable } from "./ChartCard";
import { useChartColors } from "./colors";
import { compactMoney, money, moneyListText, plural } from "./format";
import { rangeLabel } from "./range";
import { inPipeline, inRange, pipelineCardStatus, pipelineEmpty, pipelineChips, rangeChips, type DashboardScope } from "./scope";
import { addMoney, mainCurrency, moneyList, otherCurrencies, stageRows, type StageRow } from "./shape";
import { tooltipFor } from "./ChartTooltip";

const METRIC = "sum:amount";

export function PipelineCard({ scope }: { scope: DashboardScope }) {
  const navigate = useNavigate();
  const colors = useChartColors();
  const query = useAggregate(
    "deals",
    {
      groupBy: "stage_id",
      metrics: `count,${METRIC}`,
      filter: allOf([...inPipeline(scope), { field: "outcome", op: "is_null", value: true }, ...inRange(scope, "created_at")]),
    },
    Boolean(scope.pipelineId),
  );
  const totals = moneyList(query.data?.totals[METRIC]);
  const currency = mainCurrency(addMoney([totals]), scope.currency);
  const open = (scope.stages ?? []).filter((stage) => stage.type === "open");
  const rows = stageRows(open, query.data?.groups ?? [], METRIC, currency);
  const chipsFor = (row: StageRow) => [
    ...pipelineChips(scope),
    { field: "stage_id", op: "eq", value: row.id },
    { field: "outcome", op: "is_null" },
    ...rangeChips(scope, "created_at"),
  ];
  const status = pipelineCardStatus(scope, query, (query.data?.totals.count ?? 0) === 0);
  const others = otherCurrencies(totals, currency);
  const summary =
    `Open deals by stage, ${rangeLabel(scope.range)}: ` +
    rows.map((row) => `${row.name} ${plural(row.count, "deal")}, ${money(row.amount, currency)}`).join("; ") +
    `. Total ${money(rows.reduce((sum, row) => sum + row.amount, 0), currency)}.`;

  return (
    <ChartCard
      title="Pipeline value by stage"
      subtitle={`Open deals created ${rangeLabel(scope.range)}${currency ? ` · ${currency}` : ""}`}
      subject="deals"
      status={status}
      error={query.error ?? scope.stagesError}
      onRetry={() => (scope.stagesError ? scope.retryStages() : void query.refetch())}
      empty={pipelineEmpty(scope, { icon: "deal", title: "No open deals", text: "No open deal in this pipeline was created in this period." })}
      summary={summary}
      note={others.length ? `Also open in other currencies (not converted): ${moneyListText(others)}.` : null}
      chart={() => (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke={colors.line} />
            <XAxis dataKey="name" tick={{ fill: colors.muted, fontSize: 11 }} tickLine={false} axisLine={{ stroke: colors.line }} interval={0} />
            <YAxis tickFormatter={(value: number) => compactMoney(value, currency)} tick={{ fill: colors.muted, fontSize: 11 }} tickLine={false} axisLine={false} width={64} />
            <Tooltip
              cursor={{ fill: colors.subtle }}
              content={tooltipFor<StageRow>((row) => ({
                title: row.name,
                lines: [{ color: colors.accent, text: `${moneyListText(row.money) || money(0, currency)} · ${plural(row.count, "deal")}` }],
              }))}
            />
            <Bar
              dataKey="amount"
              name="Value"
              fill={colors.accent}
              radius={[4, 4, 0, 0]}
              cursor="pointer"
              onClick={(item) => navigate(listUrl("deals", chipsFor(item.payload as StageRow)))}
            />
          </BarChart>
        </ResponsiveContainer>
      )}
      table={() => (
        <CardTable caption="Open deals by stage" head={["Stage", "Deals", "Value"]}>
          {rows.map((row) => (
            <tr key={row.id} className="border-b border-line last:border-0">
              <td className="py-1.5 pr-2">
                <Link className="text-accent-text hover:underline" to={listUrl("deals", chipsFor(row))}>
                  {row.name}
                </Link>
              </td>
              <td className="px-2 py-1.5 text-right tabular-nums">{row.count}</td>
              <td className="px-2 py-1.5 text-right tabular-nums">
                {row.money.length ? moneyListText(row.money) : money(0, currency)}
              </td>
            </tr>
          ))}
        </CardTable>
      )}
    />
  );
}
