import type { HistoryItem } from "@/api/records";
import { formatDate, formatDateTime } from "@/lib/fields";

/** Just before a change: the record as it was when the change had not happened yet. */
export function instantBefore(iso: string): string {
  return new Date(new Date(iso).getTime() - 1).toISOString();
}

export function actorName(item: HistoryItem): string {
  const actor = item.actor as { type?: string; name?: string | null };
  if (actor.name) return actor.name;
  return actor.type === "system" ? "KronosCRM" : actor.type === "api_key" ? "An API key" : "Someone";
}

export interface ChangeSet {
  id: string;
  at: string;
  op: string;
  actor: string;
  source: string;
  items: HistoryItem[];
}

/** History rows of one write share a change set: show them as one timeline entry. */
export function groupChangeSets(items: HistoryItem[]): ChangeSet[] {
  const sets: ChangeSet[] = [];
  const index = new Map<string, ChangeSet>();
  for (const item of items) {
    let set = index.get(item.change_set_id);
    if (!set) {
      set = { id: item.change_set_id, at: item.changed_at, op: item.op, actor: actorName(item), source: item.source, items: [] };
      index.set(item.change_set_id, set);
      sets.push(set);
    }
    set.items.push(item);
  }
  return sets;
}

const SOURCES: Record<string, string> = {
  ui: "in the web app",
  api: "through the API",
  import: "by import",
  workflow: "by a workflow",
  system: "by KronosCRM",
};

/** Through what a change came, in words ("in the web app"), for "changed it in the web app". */
export function sourceLabel(source: string): string {
  return SOURCES[source] ?? `through ${source}`;
}

/**
 * A changed value as the app shows it: dates and times in the reader's locale and time zone like every other
 * date in the app (the server's display is an ISO string for them), the server's display for the rest.
 */
export function shownValue(item: Pick<HistoryItem, "field_type">, display: string | null, value: unknown): string | null {
  if (typeof value === "string" && value) {
    if (item.field_type === "datetime") return formatDateTime(value);
    if (item.field_type === "date") return formatDate(value);
  }
  return display;
}
