/** Deals won and lost over time: deals closed in the period, per day/week/month, every bucket shown. */
import { Link, useNavigate } from "react-router";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Chip } from "@/features/records/listState";
import { allOf, listUrl, useAggregate } from "./data";
import { ChartCard, CardTable } from "./ChartCard";
import { tooltipFor } from "./ChartTooltip";
import { useChartColors } from "./colors";
import { money, moneyListText, plural } from "./format";
import { bucketFor, bucketLabel, nextBucket, rangeLabel } from "./range";
import { inPipeline, inRange, pipelineCardStatus, pipelineEmpty, pipelineChips, type DashboardScope } from "./scope";
import { addMoney, mainCurrency, moneyList, otherCurrencies, outcomeSeries, type OutcomePoint } from "./shape";

const METRIC = "sum:amount";
const FIELD = "closed_at";

export function WonLostCard({ scope }: { scope: DashboardScope }) {
  const navigate = useNavigate();
  const colors = useChartColors();
  const bucket = bucketFor(scope.range);
  const query = useAggregate(
    "deals",
    {
      groupBy: `${FIELD}:${bucket},outcome`,
      metrics: `count,${METRIC}`,
      filter: allOf([...inPipeline(scope), { field: "outcome", op: "is_null", value: false }, ...inRange(scope, FIELD)]),
    },
    Boolean(scope.pipelineId),
  );
  const totals = moneyList(query.data?.totals[METRIC]);
  const currency = mainCurrency(addMoney([totals]), scope.currency);
  const points = outcomeSeries(query.data?.groups ?? [], scope.range, bucket, FIELD, METRIC, currency).map((point) => ({
    ...point,
    label: bucketLabel(point.start, bucket),
  }));
  const won = points.reduce((sum, point) => sum + point.won, 0);
  const lost = points.reduce((sum, point) => sum + point.lost, 0);
  const wonAmount = points.reduce((sum, point) => sum + point.wonAmount, 0);
  const lostAmount = points.reduce((sum, point) => sum + point.lostAmount, 0);
  const chipsFor = (start: string, outcome: "won" | "lost"): Chip[] => [
    ...pipelineChips(scope),
    { field: "outcome", op: "eq", value: outcome },
    { field: FIELD, op: "gte", value: `${start}T00:00:00Z` },
    { field: FIELD, op: "lt", value: `${nextBucket(start, bucket)}T00:00:00Z` },
  ];
  // Stages are not drawn here, but a pipeline that failed to load fails this card too.
  const status = pipelineCardStatus(scope, query, (query.data?.totals.count ?? 0) === 0);
  const others = otherCurrencies(totals, currency);
  const rate = won + lost ? Math.round((won / (won + lost)) * 100) : 0;
  const summary =
    `Deals closed ${rangeLabel(scope.range)}: won ${plural(won, "deal")} worth ${money(wonAmount, currency)}, ` +
    `lost ${plural(lost, "deal")} worth ${money(lostAmount, currency)}; win rate ${rate}%.`;
  const open = (outcome: "won" | "lost") => (item: { payload?: unknown }) =>
    navigate(listUrl("deals", chipsFor((item.payload as OutcomePoint).start, outcome)));

  return (
    <ChartCard
      title="Deals won and lost"
      subtitle={`Closed ${rangeLabel(scope.range)} · per ${bucket}${won + lost ? ` · win rate ${rate}%` : ""}`}
      subject="deals"
      status={status}
      error={query.error ?? scope.stagesError}
      onRetry={() => (scope.stagesError ? scope.retryStages() : void query.refetch())}
      empty={pipelineEmpty(scope, { icon: "check", title: "No closed deals", text: "No deal of this pipeline was won or lost in this period." })}
      summary={summary}
      note={others.length ? `Closed in other currencies (not converted): ${moneyListText(others)}.` : null}
      chart={() => (
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid vertical={false} stroke={colors.line} />
            <XAxis dataKey="label" tick={{ fill: colors.muted, fontSize: 11 }} tickLine={false} axisLine={{ stroke: colors.line }} minTickGap={8} />
            <YAxis allowDecimals={false} tick={{ fill: colors.muted, fontSize: 11 }} tickLine={false} axisLine={false} width={32} />
            <Tooltip
              cursor={{ fill: colors.subtle }}
              content={tooltipFor<OutcomePoint>((point) => ({
                title: bucketLabel(point.start, bucket, true),
                lines: [
                  { color: colors.success, text: `Won: ${plural(point.won, "deal")}, ${money(point.wonAmount, currency)}` },
                  { color: colors.danger, text: `Lost: ${plural(point.lost, "deal")}, ${money(point.lostAmount, currency)}` },
                ],
              }))}
            />
            <Legend wrapperStyle={{ fontSize: 11, color: colors.muted }} iconSize={8} />
            <Bar dataKey="won" name="Won" fill={colors.success} radius={[3, 3, 0, 0]} cursor="pointer" onClick={open("won")} />
            <Bar dataKey="lost" name="Lost" fill={colors.danger} radius={[3, 3, 0, 0]} cursor="pointer" onClick={open("lost")} />
          </BarChart>
        </ResponsiveContainer>
      )}
      table={() => (
        <CardTable caption="Deals won and lost per period" head={["Period", "Won", "Won value", "Lost", "Lost value"]}>
          {points.map((point) => (
            <tr key={point.start} className="border-b border-line last:border-0">
              <th scope="row" className="py-1.5 pr-2 text-left font-normal">
                {bucketLabel(point.start, bucket, true)}
              </th>
              <td className="px-2 py-1.5 text-right tabular-nums">
                {point.won ? (
                  <Link className="text-accent-text hover:underline" to={listUrl("deals", chipsFor(point.start, "won"))} aria-label={`${point.won} won, ${bucketLabel(point.start, bucket, true)}`}>
                    {point.won}
                  </Link>
                ) : (
                  0
                )}
              </td>
              <td className="px-2 py-1.5 text-right tabular-nums">{money(point.wonAmount, currency)}</td>
              <td className="px-2 py-1.5 text-right tabular-nums">
                {point.lost ? (
                  <Link className="text-accent-text hover:underline" to={listUrl("deals", chipsFor(point.start, "lost"))} aria-label={`${point.lost} lost, ${bucketLabel(point.start, bucket, true)}`}>
                    {point.lost}
                  </Link>
                ) : (
                  0
                )}
              </td>
              <td className="px-2 py-1.5 text-right tabular-nums">{money(point.lostAmount, currency)}</td>
            </tr>
          ))}
        </CardTable>
      )}
    />
  );
}
