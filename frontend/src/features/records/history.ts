import type { HistoryItem } from "@/api/records";

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
