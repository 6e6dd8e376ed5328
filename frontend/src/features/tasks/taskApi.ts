/**
 * Server state of the tasks screen. Tasks are activities of kind "task": lists go through the generic list API
 * (filters, cursor pages) under the same query keys as every other list, so `useUpdateRecord` and
 * `storeRecord` keep them current wherever they are shown (this screen, a record's timeline).
 */
import { useCallback, useMemo, useRef, useState } from "react";
import { useInfiniteQuery, useQueries, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, call } from "@/api/client";
import { ApiError, errorMessage } from "@/api/problem";
import { fetchPage, keys, useUpdateRecord, type ListQuery, type RecordPage } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { isEditable } from "@/lib/fields";
import type { ObjectMeta, RecordData } from "@/lib/types";
import { SECTION_SORT, SECTIONS, sectionFilter, type DayBounds, type TaskSection } from "./dates";

export const TASKS_PAGE_SIZE = 50;
/** What a row shows; the body stays on the task's own page. */
export const TASK_FIELDS = ["id", "version", "kind", "subject", "due_at", "done", "assignee_id", "links", "created_at", "updated_at"];

export function taskQuery(section: TaskSection, bounds: DayBounds, assigneeId: string | null): ListQuery {
  return {
    filter: sectionFilter(section, bounds, assigneeId),
    sort: SECTION_SORT[section],
    fields: TASK_FIELDS,
    limit: TASKS_PAGE_SIZE,
  };
}

/**
 * One section's tasks, a page at a time. Unlike `useRecordList` it keeps no previous data while another
 * section loads: rows of "Overdue" must never stand in for "Today", so the skeleton shows instead.
 */
export function useTaskList(section: TaskSection, bounds: DayBounds, assigneeId: string | null) {
  const query = taskQuery(section, bounds, assigneeId);
  return useInfiniteQuery({
    queryKey: keys.list("activities", query),
    queryFn: ({ pageParam }) => fetchPage("activities", query, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

/** Tasks per section (`?count=true`), under the same keys as `useRecordCount` so writes refresh them. */
export function useTaskCounts(bounds: DayBounds, assigneeId: string | null): Partial<Record<TaskSection, number>> {
  const results = useQueries({
    queries: SECTIONS.map((section) => {
      const filter = sectionFilter(section, bounds, assigneeId);
      return {
        queryKey: keys.count("activities", filter),
        queryFn: async () => {
          const page = await call(
            api.GET("/api/v1/{object}", {
              params: { path: { object: "activities" }, query: { filter: JSON.stringify(filter), limit: 1, fields: "id", count: true } },
            }),
          );
          return (page as { total?: number | null }).total ?? null;
        },
        staleTime: 30_000,
      };
    }),
  });
  const counts: Partial<Record<TaskSection, number>> = {};
  SECTIONS.forEach((section, i) => {
    const total = results[i]?.data;
    if (typeof total === "number") counts[section] = total;
  });
  return counts;
}

/**
 * What the role lets the user do with activities, from the metadata's `permissions` (older servers send only
 * per-field access, where "write" means create or update). Entry points hide what the API would refuse.
 */
export function taskPermissions(meta: ObjectMeta | undefined): { create: boolean; update: boolean } {
  if (!meta) return { create: false, update: false };
  const writable = meta.fields.some(isEditable);
  const granted = (meta as { permissions?: { create?: boolean; update?: boolean } }).permissions;
  return { create: granted?.create ?? writable, update: granted?.update ?? writable };
}

export type Visibility = "own" | "team" | "all";

/**
 * Whose activities the user's role lets them see, from the role's permissions (an object's own entry, else
 * "*"). null while unknown or when the role cannot be read: the screen then offers only "my tasks". The API
 * enforces visibility either way; this only decides whether a switch to others' tasks makes sense.
 */
export function useTaskVisibility(): Visibility | null {
  const me = useMe();
  const role = useQuery({
    queryKey: ["roles", me.role],
    queryFn: () => call(api.GET("/api/v1/roles/{role}", { params: { path: { role: me.role } } })),
    staleTime: 5 * 60_000,
    retry: false,
  });
  const objects = role.data?.permissions.objects;
  if (!objects) return null;
  const grant = objects.activities ?? objects["*"];
  if (!grant || !(grant.actions ?? []).includes("read")) return null;
  return grant.visibility ?? "all";
}

/** Change cached list rows in place (every list that holds the task: sections, timelines). */
function patchListRows(client: QueryClient, id: string, patch: Partial<RecordData>): void {
  client.setQueriesData<{ pages: RecordPage[]; pageParams: unknown[] }>({ queryKey: ["records", "activities", "list"] }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            items: page.items.map((item) => (item.id === id ? { ...item, ...patch } : item)),
          })),
        }
      : data,
  );
}

/** After a task changed: counts now, lists when next shown (the row the user just ticked stays in view). */
export function refreshTaskViews(client: QueryClient, lists: "now" | "later" = "later"): void {
  void client.invalidateQueries({ queryKey: ["records", "activities", "count"] });
  void client.invalidateQueries({ queryKey: ["records", "activities", "list"], refetchType: lists === "now" ? "active" : "none" });
}

function toggleFailure(error: unknown, done: boolean): string {
  const what = done ? "marked as done" : "reopened";
  if (error instanceof ApiError && error.status === 412) {
    return `Not ${what}: someone else changed this task meanwhile. Its latest version is loaded; try again.`;
  }
  if (error instanceof ApiError && error.status === 403) return `Not ${what}: your role cannot change this task.`;
  return `Not ${what}: ${errorMessage(error)}`;
}

/**
 * Tick a task done (or open again) at once, then PATCH it with If-Match. On failure the row goes back to what
 * it was and `errors[id]` says why, next to that row. A row with a write in flight ignores further ticks:
 * a second PATCH would carry the version the first one is about to replace.
 */
export function useToggleTask() {
  const client = useQueryClient();
  const { mutateAsync: save } = useUpdateRecord("activities");
  const inFlight = useRef(new Set<string>());
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const [errors, setErrors] = useState<Record<string, string>>({});

  const mark = useCallback((id: string, busy: boolean) => {
    if (busy) inFlight.current.add(id);
    else inFlight.current.delete(id);
    setPending(new Set(inFlight.current));
  }, []);

  const toggle = useCallback(
    async (task: RecordData): Promise<void> => {
      if (inFlight.current.has(task.id)) return;
      const done = task.done !== true;
      mark(task.id, true);
      setErrors(({ [task.id]: _, ...rest }) => rest);
      // A list refetch landing now would put the old value back over the optimistic one.
      // (Only lists already shown: cancelling a first load would leave that list without data and idle.)
      await client.cancelQueries({ queryKey: ["records", "activities", "list"], predicate: (q) => q.state.data !== undefined });
      patchListRows(client, task.id, { done });
      try {
        await save({ id: task.id, version: task.version, values: { done } });
        refreshTaskViews(client);
      } catch (error) {
        patchListRows(client, task.id, { done: task.done, version: task.version });
        setErrors((current) => ({ ...current, [task.id]: toggleFailure(error, done) }));
        refreshTaskViews(client, error instanceof ApiError && error.status === 412 ? "now" : "later");
      } finally {
        mark(task.id, false);
      }
    },
    [client, save, mark],
  );

  const dismiss = useCallback((id: string) => setErrors(({ [id]: _, ...rest }) => rest), []);
  return useMemo(() => ({ toggle, pending, errors, dismiss }), [toggle, pending, errors, dismiss]);
}
