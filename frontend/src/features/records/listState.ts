/**
 * A list's state lives in the URL (shareable, survives reload): ?view=, ?sort=, ?q=, ?f= (filter chips as JSON).
 * Columns are per object in localStorage unless a saved view sets them.
 */
import { useCallback, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { defaultColumns, searchableFields } from "@/lib/fields";
import type { FilterNode, ObjectMeta } from "@/lib/types";

export interface Chip {
  field: string;
  op: string; // the API's operators plus "not_null"
  value?: unknown;
}

export function chipToNode(chip: Chip): FilterNode {
  if (chip.op === "not_null") return { field: chip.field, op: "is_null", value: false };
  if (chip.op === "is_null") return { field: chip.field, op: "is_null", value: true };
  return { field: chip.field, op: chip.op, value: chip.value };
}

/** Chips from a saved view's filter, when it is a plain AND of conditions (what this UI builds). */
export function chipsFromFilter(filter: unknown): Chip[] | null {
  if (!filter || typeof filter !== "object") return [];
  const node = filter as Record<string, unknown>;
  const parts = Array.isArray(node.and) ? node.and : "field" in node ? [node] : null;
  if (!parts) return null;
  const chips: Chip[] = [];
  for (const part of parts as Record<string, unknown>[]) {
    if (typeof part?.field !== "string" || typeof part.op !== "string") return null;
    if (part.op === "is_null") chips.push({ field: part.field, op: part.value === false ? "not_null" : "is_null" });
    else chips.push({ field: part.field, op: part.op, value: part.value });
  }
  return chips;
}

export function buildFilter(meta: ObjectMeta | undefined, chips: Chip[], q: string): FilterNode | null {
  const parts: FilterNode[] = chips.filter((c) => c.field && c.op).map(chipToNode);
  const text = q.trim();
  if (meta && text) {
    const fields = searchableFields(meta);
    if (fields.length) parts.push({ or: fields.map((f) => ({ field: f.name, op: "contains", value: text })) });
  }
  if (parts.length === 0) return null;
  return parts.length === 1 ? (parts[0] as FilterNode) : { and: parts };
}

function readColumns(object: string): string[] | null {
  try {
    const raw = localStorage.getItem(`kronos.columns.${object}`);
    return raw ? (JSON.parse(raw) as string[]) : null;
  } catch {
    return null;
  }
}

export function useListState(object: string, meta: ObjectMeta | undefined) {
  const [params, setParams] = useSearchParams();
  const [storedColumns, setStoredColumns] = useState<Record<string, string[] | null>>({});

  const chips = useMemo<Chip[]>(() => {
    try {
      const raw = params.get("f");
      return raw ? (JSON.parse(raw) as Chip[]) : [];
    } catch {
      return [];
    }
  }, [params]);
  const sort = params.get("sort") ?? "";
  const q = params.get("q") ?? "";
  const viewId = params.get("view");
  const columnsParam = params.get("cols");

  const update = useCallback(
    (changes: Record<string, string | null>) => {
      // From the address bar, not the router's copy: that one is the render's, and an update made from a
      // callback created earlier (the debounced quick search, a popover's form) would undo what changed
      // since, e.g. drop the search when a filter is added.
      const next = new URLSearchParams(window.location.search);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null || value === "") next.delete(key);
        else next.set(key, value);
      }
      setParams(next, { replace: true });
    },
    [setParams],
  );

  const known = useMemo(() => new Set(meta?.fields.map((f) => f.name) ?? []), [meta]);
  const columns = useMemo(() => {
    if (!meta) return [];
    const chosen = columnsParam
      ? columnsParam.split(",")
      : (storedColumns[object] ?? readColumns(object) ?? defaultColumns(meta));
    const valid = chosen.filter((c) => known.has(c));
    return valid.length ? valid : defaultColumns(meta);
  }, [meta, columnsParam, storedColumns, object, known]);

  const setColumns = useCallback(
    (next: string[]) => {
      try {
        localStorage.setItem(`kronos.columns.${object}`, JSON.stringify(next));
      } catch {
        /* ignore */
      }
      setStoredColumns((s) => ({ ...s, [object]: next }));
      if (columnsParam !== null || viewId) update({ cols: next.join(",") });
    },
    [object, columnsParam, viewId, update],
  );

  const filter = useMemo(() => buildFilter(meta, chips, q), [meta, chips, q]);

  return {
    chips,
    setChips: (next: Chip[]) => update({ f: next.length ? JSON.stringify(next) : null }),
    sort,
    setSort: (next: string) => update({ sort: next || null }),
    q,
    setQ: (next: string) => update({ q: next || null }),
    viewId,
    applyView: (view: { id: string; filter?: unknown; sort?: string | null; columns?: string[] | null } | null) => {
      if (!view) {
        update({ view: null, f: null, sort: null, cols: null, q: null });
        return;
      }
      const viewChips = chipsFromFilter(view.filter) ?? [];
      update({
        view: view.id,
        f: viewChips.length ? JSON.stringify(viewChips) : null,
        sort: view.sort ?? null,
        cols: view.columns?.length ? view.columns.join(",") : null,
        q: null,
      });
    },
    columns,
    setColumns,
    filter,
    /** The filter without the quick search: what a saved view stores. */
    chipFilter: buildFilter(meta, chips, ""),
  };
}
