/**
 * Where a task belongs in time, in the user's local time zone (the browser's): overdue, today, upcoming,
 * no date or done. The same boundaries build the list API's filters, so what the server returns for a
 * section and what this module says about a row always agree.
 *
 * Local midnights come from `new Date(y, m, d)`, which the engine resolves through the zone's rules: a day
 * that starts at 01:00 (a DST jump at midnight) starts then, and 23- or 25-hour days are what they are.
 * Adding 24 hours to a midnight would be wrong twice a year.
 */
import type { FilterNode } from "@/lib/types";

export type TaskSection = "overdue" | "today" | "upcoming" | "none" | "done";

export const SECTIONS: readonly TaskSection[] = ["overdue", "today", "upcoming", "none", "done"];

export interface DayBounds {
  /** The first instant of today, local time. */
  start: Date;
  /** The first instant of tomorrow, local time. */
  end: Date;
}

export interface TaskTiming {
  due_at?: unknown;
  done?: unknown;
  [field: string]: unknown;
}

export function dayBounds(now: Date): DayBounds {
  return {
    start: new Date(now.getFullYear(), now.getMonth(), now.getDate()),
    end: new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1),
  };
}

/** Milliseconds until the next local midnight: when "today" has to be recomputed. */
export function msUntilTomorrow(now: Date): number {
  return dayBounds(now).end.getTime() - now.getTime();
}

function dueDate(task: TaskTiming): Date | null {
  if (typeof task.due_at !== "string" || !task.due_at) return null;
  const due = new Date(task.due_at);
  return Number.isNaN(due.getTime()) ? null : due;
}

export function sectionOf(task: TaskTiming, now: Date): TaskSection {
  if (task.done === true) return "done";
  const due = dueDate(task);
  if (!due) return "none";
  const { start, end } = dayBounds(now);
  if (due < start) return "overdue";
  if (due < end) return "today";
  return "upcoming";
}

/**
 * A due instant at local midnight means "that day, no particular time" (what the create dialog stores when
 * no time is given); such a task is late only once its day is over, a timed one as soon as its time passes.
 */
export function hasTime(due: Date): boolean {
  return due.getHours() !== 0 || due.getMinutes() !== 0 || due.getSeconds() !== 0 || due.getMilliseconds() !== 0;
}

/** Shown in red: an open task whose moment has passed. */
export function isLate(task: TaskTiming, now: Date): boolean {
  if (task.done === true) return false;
  const due = dueDate(task);
  if (!due) return false;
  if (due < dayBounds(now).start) return true;
  return hasTime(due) && due < now;
}

/** The list API filter of one section: tasks only, the assignee when given, the section's window. */
export function sectionFilter(section: TaskSection, bounds: DayBounds, assigneeId: string | null): FilterNode {
  const parts: FilterNode[] = [{ field: "kind", op: "eq", value: "task" }];
  if (assigneeId) parts.push({ field: "assignee_id", op: "eq", value: assigneeId });
  const start = bounds.start.toISOString();
  const end = bounds.end.toISOString();
  switch (section) {
    case "done":
      parts.push({ field: "done", op: "eq", value: true });
      break;
    case "overdue":
      parts.push({ field: "done", op: "eq", value: false }, { field: "due_at", op: "lt", value: start });
      break;
    case "today":
      parts.push(
        { field: "done", op: "eq", value: false },
        { field: "due_at", op: "gte", value: start },
        { field: "due_at", op: "lt", value: end },
      );
      break;
    case "upcoming":
      parts.push({ field: "done", op: "eq", value: false }, { field: "due_at", op: "gte", value: end });
      break;
    case "none":
      parts.push({ field: "done", op: "eq", value: false }, { field: "due_at", op: "is_null", value: true });
      break;
  }
  return { and: parts };
}

/** Oldest debt first, then what comes next; undated tasks newest first; done ones most recently touched. */
export const SECTION_SORT: Record<TaskSection, string> = {
  overdue: "due_at",
  today: "due_at",
  upcoming: "due_at",
  none: "-created_at",
  done: "-updated_at",
};

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `<input type=date>` and `<input type=time>` values of an instant, local time ("" when none). */
export function toLocalParts(iso: unknown): { date: string; time: string } {
  if (typeof iso !== "string" || !iso) return { date: "", time: "" };
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return { date: "", time: "" };
  return {
    date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    time: hasTime(d) ? `${pad(d.getHours())}:${pad(d.getMinutes())}` : "",
  };
}

/**
 * The instant of a local date and optional time, as ISO 8601 UTC; null without a date. A date alone is the
 * start of that day (see `hasTime`). Unparseable input is returned as typed so the API can say what is wrong.
 */
export function fromLocalParts(date: string, time: string): string | null {
  if (!date.trim()) return null;
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = time ? time.split(":").map(Number) : [0, 0];
  if (!y || !m || !d || Number.isNaN(hh) || Number.isNaN(mm)) return time ? `${date}T${time}` : date;
  const instant = new Date(y, m - 1, d, hh ?? 0, mm ?? 0);
  return Number.isNaN(instant.getTime()) ? date : instant.toISOString();
}

// Formats are built per call: an Intl formatter fixes the time zone when it is created.
function format(date: Date, options: Intl.DateTimeFormatOptions): string {
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

/** Whole local days from today to the day of `due` (negative in the past), DST-proof. */
export function daysFromToday(due: Date, now: Date): number {
  const a = dayBounds(now).start;
  const b = new Date(due.getFullYear(), due.getMonth(), due.getDate());
  return Math.round((Date.UTC(b.getFullYear(), b.getMonth(), b.getDate()) - Date.UTC(a.getFullYear(), a.getMonth(), a.getDate())) / 86_400_000);
}

/** "Today 14:30", "Yesterday", "Tomorrow 09:00", "Fri", "Mar 3", "Mar 3, 2027": short, relative when near. */
export function formatDue(iso: unknown, now: Date): string {
  if (typeof iso !== "string" || !iso) return "";
  const due = new Date(iso);
  if (Number.isNaN(due.getTime())) return String(iso);
  const days = daysFromToday(due, now);
  let day: string;
  if (days === 0) day = "Today";
  else if (days === -1) day = "Yesterday";
  else if (days === 1) day = "Tomorrow";
  else if (days > 1 && days < 7) day = format(due, { weekday: "short" });
  else if (due.getFullYear() === now.getFullYear()) day = format(due, { month: "short", day: "numeric" });
  else day = format(due, { year: "numeric", month: "short", day: "numeric" });
  return hasTime(due) ? `${day} ${format(due, { hour: "numeric", minute: "2-digit" })}` : day;
}
