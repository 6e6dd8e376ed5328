/**
 * Turning aggregate answers into what the charts draw: per-currency totals (never added across currencies),
 * stages in pipeline order with zeros, date buckets with no records filled in, top-N categories, reps by name.
 * Pure functions, so each one is unit-tested (shape.test.ts).
 */
import type { Money } from "@/lib/types";
import { bucketStarts, type Bucket, type DayRange } from "./range";

export interface AggregateGroup {
  key: Record<string, string | boolean | null>;
  count: number;
  [metric: string]: unknown;
}

/** A currency metric's value: a list of {currency, amount_minor}; anything else reads as none. */
export function moneyList(value: unknown): Money[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (item): item is Money =>
      typeof item === "object" && item !== null && typeof item.currency === "string" && typeof item.amount_minor === "number",
  );
}

/** Sums per currency, biggest first (ties by code). */
export function addMoney(lists: Money[][]): Money[] {
  const totals = new Map<string, number>();
  for (const list of lists) {
    for (const money of list) totals.set(money.currency, (totals.get(money.currency) ?? 0) + money.amount_minor);
  }
  return [...totals]
    .map(([currency, amount_minor]) => ({ currency, amount_minor }))
    .sort((a, b) => b.amount_minor - a.amount_minor || a.currency.localeCompare(b.currency));
}

/** The currency a chart draws: the workspace's own when it has amounts in it, else the one with the most. */
export function mainCurrency(totals: Money[], preferred?: string | null): string | null {
  if (preferred && totals.some((money) => money.currency === preferred)) return preferred;
  return totals[0]?.currency ?? null;
}

export function amountIn(list: Money[], currency: string | null): number {
  if (!currency) return 0;
  return list.find((money) => money.currency === currency)?.amount_minor ?? 0;
}

export function otherCurrencies(list: Money[], currency: string | null): Money[] {
  return list.filter((money) => money.currency !== currency && money.amount_minor !== 0);
}

// -- pipeline by stage ------------------------------------------------------------------------------------------

export interface StageInfo {
  id: string;
  name: string;
  position: number;
  type: string;
}

export interface StageRow {
  id: string;
  name: string;
  count: number;
  /** In the main currency, minor units. */
  amount: number;
  money: Money[];
}

/** Every stage of the pipeline in order (zeros where no deal sits), from a group_by=stage_id answer. */
export function stageRows(stages: StageInfo[], groups: AggregateGroup[], metric: string, currency: string | null): StageRow[] {
  const byStage = new Map(groups.map((group) => [group.key.stage_id, group]));
  return [...stages]
    .sort((a, b) => a.position - b.position)
    .map((stage) => {
      const group = byStage.get(stage.id);
      const money = moneyList(group?.[metric]);
      return { id: stage.id, name: stage.name, count: group?.count ?? 0, amount: amountIn(money, currency), money };
    });
}

// -- won / lost over time ---------------------------------------------------------------------------------------

export interface OutcomePoint {
  start: string;
  won: number;
  lost: number;
  wonAmount: number;
  lostAmount: number;
}

/** One point per bucket of the range, empty buckets included, from a group_by=closed_at:<bucket>,outcome answer. */
export function outcomeSeries(
  groups: AggregateGroup[],
  range: DayRange,
  bucket: Bucket,
  dateField: string,
  metric: string,
  currency: string | null,
): OutcomePoint[] {
  const points = new Map<string, OutcomePoint>(
    bucketStarts(range, bucket).map((start) => [start, { start, won: 0, lost: 0, wonAmount: 0, lostAmount: 0 }]),
  );
  for (const group of groups) {
    const start = group.key[dateField];
    const outcome = group.key.outcome;
    const point = typeof start === "string" ? points.get(start) : undefined;
    if (!point || (outcome !== "won" && outcome !== "lost")) continue;
    const amount = amountIn(moneyList(group[metric]), currency);
    if (outcome === "won") {
      point.won += group.count;
      point.wonAmount += amount;
    } else {
      point.lost += group.count;
      point.lostAmount += amount;
    }
  }
  return [...points.values()];
}

// -- categories -------------------------------------------------------------------------------------------------

export interface Category {
  /** The group's value; null for "no value"; undefined for the "Other" bucket. */
  value: string | null | undefined;
  label: string;
  count: number;
}

/** The ``limit`` biggest groups (by count, then label), the rest summed as "Other". */
export function topCategories(
  groups: AggregateGroup[],
  field: string,
  label: (value: string | null) => string,
  limit = 8,
): Category[] {
  const all = groups
    .map((group) => {
      const raw = group.key[field];
      const value = raw === null || raw === undefined ? null : String(raw);
      return { value, label: label(value), count: group.count };
    })
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
  if (all.length <= limit) return all;
  const kept = all.slice(0, limit - 1);
  const rest = all.slice(limit - 1).reduce((sum, item) => sum + item.count, 0);
  return [...kept, { value: undefined, label: "Other", count: rest }];
}

// -- activities by rep ------------------------------------------------------------------------------------------

export interface RepRow {
  userId: string | null;
  name: string;
  total: number;
  byKind: Record<string, number>;
}

/** Reps by activity count (most first), each with a count per kind, from a group_by=<user>,kind answer. */
export function repRows(
  groups: AggregateGroup[],
  userField: string,
  names: Map<string, string>,
): RepRow[] {
  const rows = new Map<string | null, RepRow>();
  for (const group of groups) {
    const raw = group.key[userField];
    const userId = typeof raw === "string" ? raw : null;
    let row = rows.get(userId);
    if (!row) {
      const name = userId === null ? "Unassigned" : (names.get(userId) ?? "Former member");
      row = { userId, name, total: 0, byKind: {} };
      rows.set(userId, row);
    }
    const kind = String(group.key.kind ?? "none");
    row.byKind[kind] = (row.byKind[kind] ?? 0) + group.count;
    row.total += group.count;
  }
  return [...rows.values()].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
}

// -- funnel -----------------------------------------------------------------------------------------------------

export interface FunnelStepIn {
  value: string;
  display: string | null;
  entered: number;
}

export interface FunnelRow {
  id: string;
  name: string;
  entered: number;
  /** Of the previous step's entries, the share that reached this one (null on the first step). */
  fromPrevious: number | null;
  /** Of the first step's entries, the share that reached this one. */
  fromFirst: number | null;
}

/** Funnel steps in pipeline order for the stages given (lost stages are not a step forward). */
export function funnelRows(steps: FunnelStepIn[], stages: StageInfo[]): FunnelRow[] {
  const entered = new Map(steps.map((step) => [step.value, step.entered]));
  const ordered = [...stages].filter((stage) => stage.type !== "lost").sort((a, b) => a.position - b.position);
  const first = entered.get(ordered[0]?.id ?? "") ?? 0;
  return ordered.map((stage, index) => {
    const count = entered.get(stage.id) ?? 0;
    const previous = index > 0 ? (entered.get(ordered[index - 1]!.id) ?? 0) : null;
    return {
      id: stage.id,
      name: stage.name,
      entered: count,
      fromPrevious: previous === null ? null : previous ? Math.min(1, count / previous) : null,
      fromFirst: first ? Math.min(1, count / first) : null,
    };
  });
}
