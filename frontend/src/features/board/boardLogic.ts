/**
 * What a board knows without React: its columns (a pipeline's stages, a select field's options), the filter of
 * each column, and the cache edits of an optimistic move and of its rollback. Pure functions, tested alone.
 *
 * A move is applied to the cached pages at once (the card leaves one column and enters the other, the column
 * totals shift by its amount) and undone by the inverse edit if the API refuses it. The inverse, not a snapshot
 * restore: two cards moved in quick succession must not undo each other when only one of them fails.
 */
import type { RecordPage } from "@/api/records";
import type { FilterNode, Money, RecordData } from "@/lib/types";
import { isMoney } from "@/lib/fields";

export type ColumnTone = "open" | "won" | "lost" | "closed";

export interface BoardColumn {
  /** The value the board's field takes in this column: a stage id, a status option. */
  value: string;
  title: string;
  tone: ColumnTone;
  /** A stage's win probability, shown in its header. */
  probability?: number | null;
}

/** Cached pages of one column, as TanStack Query's infinite query holds them. */
export interface ColumnPages {
  pages: RecordPage[];
  pageParams: unknown[];
}

export interface ColumnTotal {
  count: number;
  /** Per currency, never added across currencies. */
  sums: Money[];
}

export type Totals = Record<string, ColumnTotal>;

export interface StageRecord {
  id: string;
  name?: unknown;
  type?: unknown;
  probability?: unknown;
  position?: unknown;
}

/** A pipeline's stages in order, one column each; won and lost stages are marked so the board can show it. */
export function columnsFromStages(stages: StageRecord[]): BoardColumn[] {
  return [...stages]
    .sort((a, b) => Number(a.position ?? 0) - Number(b.position ?? 0))
    .map((stage) => ({
      value: stage.id,
      title: String(stage.name ?? "Untitled stage"),
      tone: stage.type === "won" ? "won" : stage.type === "lost" ? "lost" : "open",
      probability: typeof stage.probability === "number" ? stage.probability : null,
    }));
}

/** A select field's options in order, one column each (lead statuses); `closed` ones take no drops. */
export function columnsFromOptions(options: { value: string; label: string }[], closed: string[] = []): BoardColumn[] {
  return options.map((option) => ({
    value: option.value,
    title: option.label,
    tone: closed.includes(option.value) ? "closed" : "open",
  }));
}

function and(nodes: (FilterNode | null | undefined)[]): FilterNode {
  const present = nodes.filter((n): n is FilterNode => Boolean(n));
  return present.length === 1 ? (present[0] as FilterNode) : { and: present };
}

/** The list filter of one column: its value, plus the board's quick filters. */
export function columnFilter(field: string, value: string, quick: FilterNode | null): FilterNode {
  return and([{ field, op: "eq", value }, quick]);
}

/** The quick filters: "mine" (owner is me) and a text search over a few fields. */
export function quickFilter({
  ownerField,
  me,
  mine,
  search,
  searchFields,
}: {
  ownerField: string | null;
  me: string;
  mine: boolean;
  search: string;
  searchFields: string[];
}): FilterNode | null {
  const nodes: FilterNode[] = [];
  if (mine && ownerField) nodes.push({ field: ownerField, op: "eq", value: me });
  const text = search.trim();
  if (text && searchFields.length) {
    const terms = searchFields.map((field) => ({ field, op: "contains", value: text }));
    nodes.push(terms.length === 1 ? (terms[0] as FilterNode) : { or: terms });
  }
  if (nodes.length === 0) return null;
  return and(nodes);
}

// -- cache edits ---------------------------------------------------------------------------------------------

export function cardsOf(data: ColumnPages | undefined): RecordData[] {
  return data?.pages.flatMap((page) => page.items) ?? [];
}

/** The column without the card (wherever it was on its pages). */
export function removeCard(data: ColumnPages | undefined, id: string): ColumnPages | undefined {
  if (!data) return data;
  return { ...data, pages: data.pages.map((page) => ({ ...page, items: page.items.filter((item) => item.id !== id) })) };
}

function createdAt(record: RecordData): string {
  return typeof record.created_at === "string" ? record.created_at : "";
}

/**
 * The column with the card in its place: columns list newest first (`-created_at`), so the card goes before
 * the first loaded card older than it. Older than every loaded card: at the end of what is loaded, so the user
 * sees what they just dropped even if the server would list it on a later page.
 */
export function insertCard(data: ColumnPages | undefined, card: RecordData): ColumnPages | undefined {
  if (!data || data.pages.length === 0) return data;
  const cleaned = removeCard(data, card.id) as ColumnPages;
  const key = createdAt(card);
  const pages = cleaned.pages.map((page) => ({ ...page, items: [...page.items] }));
  for (const page of pages) {
    const index = page.items.findIndex((item) => createdAt(item) < key || (createdAt(item) === key && item.id < card.id));
    if (index >= 0) {
      page.items.splice(index, 0, card);
      return { ...cleaned, pages };
    }
  }
  (pages[pages.length - 1] as RecordPage).items.push(card);
  return { ...cleaned, pages };
}

/** Put a changed card back in place in whatever column holds it (the server's copy after a move). */
export function replaceCard(data: ColumnPages | undefined, card: RecordData): ColumnPages | undefined {
  if (!data) return data;
  return {
    ...data,
    pages: data.pages.map((page) => ({
      ...page,
      items: page.items.map((item) => (item.id === card.id ? { ...item, ...card } : item)),
    })),
  };
}

// -- totals --------------------------------------------------------------------------------------------------

interface AggregateGroup {
  key: Record<string, unknown>;
  count: number;
  [metric: string]: unknown;
}

/** The aggregate API's groups, by column value; a currency sum is a list of per-currency amounts. */
export function totalsFromAggregate(groups: AggregateGroup[], field: string, sumMetric: string | null): Totals {
  const out: Totals = {};
  for (const group of groups) {
    const value = group.key[field];
    if (typeof value !== "string") continue;
    const raw = sumMetric ? group[sumMetric] : null;
    const sums = Array.isArray(raw) ? raw.filter(isMoney).map((m) => ({ currency: m.currency, amount_minor: Number(m.amount_minor) })) : [];
    out[value] = { count: group.count, sums };
  }
  return out;
}

function addMoney(sums: Money[], amount: Money, sign: 1 | -1): Money[] {
  const next = sums.map((m) => ({ ...m }));
  const same = next.find((m) => m.currency === amount.currency);
  if (same) same.amount_minor += sign * amount.amount_minor;
  else next.push({ currency: amount.currency, amount_minor: sign * amount.amount_minor });
  return next.filter((m) => m.amount_minor !== 0);
}

/** Totals after a card with `amount` moved from one column to another (and back, to undo it). */
export function shiftTotals(totals: Totals | undefined, from: string, to: string, amount: unknown): Totals | undefined {
  if (!totals) return totals;
  const money = isMoney(amount) ? { currency: amount.currency, amount_minor: Number(amount.amount_minor) } : null;
  const take = (value: string, sign: 1 | -1): ColumnTotal => {
    const current = totals[value] ?? { count: 0, sums: [] };
    return {
      count: Math.max(0, current.count + sign),
      sums: money ? addMoney(current.sums, money, sign) : current.sums,
    };
  };
  return { ...totals, [from]: take(from, -1), [to]: take(to, 1) };
}

// -- time in stage -------------------------------------------------------------------------------------------

/** "12 d", "5 h", "3 min", "now": how long a card has sat in its column, short enough for a card. */
export function formatDuration(since: string, now: number): string {
  const then = new Date(since).getTime();
  if (Number.isNaN(then)) return "";
  const minutes = Math.max(0, Math.floor((now - then) / 60_000));
  if (minutes < 1) return "now";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h`;
  const days = Math.floor(hours / 24);
  if (days < 365) return `${days} d`;
  return `${Math.floor(days / 365)} y`;
}

// -- pipeline choice -----------------------------------------------------------------------------------------

/** The pipeline to show: the one in the address, else the one chosen last time, else the default, else the first. */
export function choosePipeline(
  pipelines: { id: string; is_default?: unknown }[] | undefined,
  wanted: string | null,
  remembered: string | null,
): string | null {
  if (!pipelines || pipelines.length === 0) return null;
  const exists = (id: string | null) => Boolean(id && pipelines.some((p) => p.id === id));
  if (exists(wanted)) return wanted;
  if (exists(remembered)) return remembered;
  return (pipelines.find((p) => p.is_default === true) ?? pipelines[0])?.id ?? null;
}

/** Of the fields a card would like, those the caller may read (asking for a hidden one is a 422). */
export function readableFields(available: { name: string }[], wanted: string[]): string[] {
  const names = new Set(available.map((f) => f.name));
  return wanted.filter((name) => names.has(name));
}
