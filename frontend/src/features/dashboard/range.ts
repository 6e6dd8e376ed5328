/**
 * The dashboard's period: a preset (last 30/90/365 days, this quarter) or custom days. Days are UTC calendar
 * days ("YYYY-MM-DD"), because the aggregate API buckets dates in UTC: a bar labelled March holds exactly the
 * deals the March click-through lists.
 */

export type RangePreset = "30d" | "90d" | "365d" | "quarter" | "custom";
export type Bucket = "day" | "week" | "month";

export const PRESETS: { value: RangePreset; label: string }[] = [
  { value: "30d", label: "Last 30 days" },
  { value: "90d", label: "Last 90 days" },
  { value: "365d", label: "Last 365 days" },
  { value: "quarter", label: "This quarter" },
  { value: "custom", label: "Custom" },
];

/** A period of whole days, both ends included. */
export interface DayRange {
  from: string;
  to: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function parseDay(day: string): Date {
  return new Date(`${day}T00:00:00Z`);
}

export function isDay(value: string | null | undefined): value is string {
  return Boolean(value && DAY.test(value) && isoDay(parseDay(value)) === value);
}

export function addDays(day: string, days: number): string {
  const date = parseDay(day);
  date.setUTCDate(date.getUTCDate() + days);
  return isoDay(date);
}

export function addMonths(day: string, months: number): string {
  const date = parseDay(day);
  date.setUTCMonth(date.getUTCMonth() + months);
  return isoDay(date);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((parseDay(to).getTime() - parseDay(from).getTime()) / 86_400_000);
}

export function isPreset(value: string | null): value is RangePreset {
  return PRESETS.some((preset) => preset.value === value);
}

/** The days a preset covers, ending today; custom days are checked (null: not a usable period). */
export function resolveRange(preset: RangePreset, today: string, custom?: Partial<DayRange>): DayRange | null {
  switch (preset) {
    case "30d":
      return { from: addDays(today, -29), to: today };
    case "90d":
      return { from: addDays(today, -89), to: today };
    case "365d":
      return { from: addDays(today, -364), to: today };
    case "quarter": {
      const month = Number(today.slice(5, 7));
      const first = Math.floor((month - 1) / 3) * 3 + 1;
      return { from: `${today.slice(0, 4)}-${String(first).padStart(2, "0")}-01`, to: today };
    }
    case "custom":
      if (!isDay(custom?.from) || !isDay(custom?.to) || custom.from > custom.to) return null;
      return { from: custom.from, to: custom.to };
  }
}

/** Instants for the API: [from's midnight, the midnight after `to`). */
export function rangeInstants(range: DayRange): { from: string; to: string } {
  return { from: `${range.from}T00:00:00Z`, to: `${addDays(range.to, 1)}T00:00:00Z` };
}

/** A bar per day up to a month, per week up to about four months, per month beyond. */
export function bucketFor(range: DayRange): Bucket {
  const days = daysBetween(range.from, range.to) + 1;
  if (days <= 31) return "day";
  if (days <= 120) return "week";
  return "month";
}

/** The first day of the bucket ``day`` falls in, as the API computes it (weeks start on Monday). */
export function bucketStart(day: string, bucket: Bucket): string {
  if (bucket === "day") return day;
  if (bucket === "month") return `${day.slice(0, 7)}-01`;
  const weekday = parseDay(day).getUTCDay(); // 0 = Sunday
  return addDays(day, -((weekday + 6) % 7));
}

export function nextBucket(start: string, bucket: Bucket): string {
  if (bucket === "day") return addDays(start, 1);
  if (bucket === "week") return addDays(start, 7);
  return addMonths(start, 1);
}

/** Every bucket start from the one holding ``range.from`` to the one holding ``range.to``, in order. */
export function bucketStarts(range: DayRange, bucket: Bucket): string[] {
  const starts: string[] = [];
  for (let start = bucketStart(range.from, bucket); start <= range.to; start = nextBucket(start, bucket)) {
    starts.push(start);
  }
  return starts;
}

const MONTH = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });
const DAY_LABEL = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

/** A bucket's name on an axis or in a table: "Mar 2026", "Mar 2", "Week of Mar 2". */
export function bucketLabel(start: string, bucket: Bucket, long = false): string {
  const date = parseDay(start);
  if (bucket === "month") return MONTH.format(date);
  if (bucket === "week") return long ? `Week of ${DAY_LABEL.format(date)}` : DAY_LABEL.format(date);
  return DAY_LABEL.format(date);
}

export function rangeLabel(range: DayRange): string {
  const format = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
  return `${format.format(parseDay(range.from))} – ${format.format(parseDay(range.to))}`;
}
