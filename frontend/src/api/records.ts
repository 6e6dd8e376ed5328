/**
 * Server state for the record engine: metadata, lists (cursor pages), records, history, saved views.
 * Query keys start with the kind of data, so invalidations can be broad ("records", object) or narrow.
 */
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from "@tanstack/react-query";
import { api, call, type Schemas } from "./client";
import { ApiError } from "./problem";
import type { FilterNode, ObjectMeta, RecordData } from "@/lib/types";
import { titleFields } from "@/lib/fields";

export const PAGE_SIZE = 100;

export interface RecordPage {
  items: RecordData[];
  next_cursor: string | null;
}

export interface ListQuery {
  filter?: FilterNode | null;
  sort?: string | null;
  fields?: string[] | null;
  asOf?: string | null;
  limit?: number;
}

export const keys = {
  objects: ["metadata", "objects"] as const,
  list: (object: string, query: ListQuery) => ["records", object, "list", query] as const,
  count: (object: string, filter: FilterNode | null | undefined) => ["records", object, "count", filter] as const,
  record: (object: string, id: string, asOf?: string | null) => ["records", object, "one", id, asOf ?? null] as const,
  history: (object: string, id: string, field?: string | null) => ["history", object, id, field ?? null] as const,
  title: (object: string, id: string) => ["title", object, id] as const,
  views: (object: string) => ["views", object] as const,
  members: ["members"] as const,
};

// -- metadata ------------------------------------------------------------------------------------------------

export function useObjects() {
  return useQuery({
    queryKey: keys.objects,
    queryFn: () => call(api.GET("/api/v1/metadata/objects")),
    staleTime: 5 * 60_000,
  });
}

export function useObjectMeta(name: string | undefined): {
  meta: ObjectMeta | undefined;
  isLoading: boolean;
  error: unknown;
} {
  const objects = useObjects();
  const meta = objects.data?.find((o) => o.name === name);
  return { meta, isLoading: objects.isLoading, error: objects.error };
}

// -- lists ---------------------------------------------------------------------------------------------------

function listParams(query: ListQuery, after?: string | null) {
  return {
    filter: query.filter ? JSON.stringify(query.filter) : undefined,
    sort: query.sort || undefined,
    fields: query.fields?.length ? query.fields.join(",") : undefined,
    limit: query.limit ?? PAGE_SIZE,
    after: after ?? undefined,
    // as_of arrives with the history work; older servers reject unknown parameters, so send it only when set.
    ...(query.asOf ? { as_of: query.asOf } : {}),
  };
}

export async function fetchPage(object: string, query: ListQuery, after?: string | null): Promise<RecordPage> {
  const page = await call(
    api.GET("/api/v1/{object}", {
      params: { path: { object }, query: listParams(query, after) as never },
    }),
  );
  return page as unknown as RecordPage;
}

/** Cursor-paged rows: `fetchNextPage` follows `next_cursor`. */
export function useRecordList(object: string, query: ListQuery, enabled = true) {
  return useInfiniteQuery({
    queryKey: keys.list(object, query),
    queryFn: ({ pageParam }) => fetchPage(object, query, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** Rows matching a filter (a separate call so the first rows never wait for the count). */
export function useRecordCount(object: string, filter: FilterNode | null | undefined, enabled = true) {
  return useQuery({
    queryKey: keys.count(object, filter),
    queryFn: async () => {
      const page = await call(
        api.GET("/api/v1/{object}", {
          params: {
            path: { object },
            query: { filter: filter ? JSON.stringify(filter) : undefined, limit: 1, fields: "id", count: true },
          },
        }),
      );
      return (page as { total?: number | null }).total ?? null;
    },
    enabled,
    staleTime: 30_000,
  });
}

// -- one record ----------------------------------------------------------------------------------------------

export function useRecord(object: string, id: string, asOf?: string | null) {
  return useQuery({
    queryKey: keys.record(object, id, asOf),
    queryFn: async () => {
      const query: Record<string, string> = {};
      if (asOf) query.as_of = asOf;
      const record = await call(api.GET("/api/v1/{object}/{id}", { params: { path: { object, id }, query } }));
      return record as RecordData;
    },
    placeholderData: asOf ? keepPreviousData : undefined,
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });
}

/** Put a record everywhere it is cached (its page, any list page holding it), without refetching lists. */
export function storeRecord(client: QueryClient, object: string, record: RecordData): void {
  client.setQueryData(keys.record(object, record.id, null), record);
  client.setQueriesData<{ pages: RecordPage[]; pageParams: unknown[] }>(
    { queryKey: ["records", object, "list"] },
    (data) =>
      data && {
        ...data,
        pages: data.pages.map((page) => ({
          ...page,
          items: page.items.map((item) => (item.id === record.id ? { ...item, ...record } : item)),
        })),
      },
  );
}

export function useUpdateRecord(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, version, values }: { id: string; version?: number; values: Record<string, unknown> }) => {
      const headers: Record<string, string> = {};
      if (version !== undefined) headers["If-Match"] = `"${version}"`;
      const record = await call(
        api.PATCH("/api/v1/{object}/{id}", {
          params: { path: { object, id }, header: headers as never },
          body: values,
        }),
      );
      return record as RecordData;
    },
    onSuccess: (record) => {
      storeRecord(client, object, record);
      void client.invalidateQueries({ queryKey: ["history", object, record.id] });
      void client.invalidateQueries({ queryKey: ["records", object, "one", record.id] });
      void client.invalidateQueries({ queryKey: keys.title(object, record.id) });
    },
    onError: (error, variables) => {
      // Someone else changed it: show their version (the editor keeps the user's text).
      if (error instanceof ApiError && error.status === 412) {
        void client.invalidateQueries({ queryKey: ["records", object, "one", variables.id] });
      }
    },
  });
}

export function useCreateRecord(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (values: Record<string, unknown>) =>
      (await call(api.POST("/api/v1/{object}", { params: { path: { object } }, body: values }))) as RecordData,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["records", object] });
    },
  });
}

export type BatchRequest = Schemas["BatchRequest"];

export function useBatch(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: BatchRequest) =>
      call(api.POST("/api/v1/{object}/batch", { params: { path: { object } }, body })),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ["records", object] });
    },
  });
}

export function useDeleteRecord(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, version }: { id: string; version?: number }) => {
      const headers: Record<string, string> = {};
      if (version !== undefined) headers["If-Match"] = `"${version}"`;
      await call(api.DELETE("/api/v1/{object}/{id}", { params: { path: { object, id }, header: headers as never } }));
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: ["records", object] }),
  });
}

// -- history -------------------------------------------------------------------------------------------------

export type HistoryItem = Schemas["HistoryItem"];

export function useHistory(object: string, id: string, field?: string | null, enabled = true) {
  return useInfiniteQuery({
    queryKey: keys.history(object, id, field),
    queryFn: async ({ pageParam }) =>
      call(
        api.GET("/api/v1/{object}/{id}/history", {
          params: {
            path: { object, id },
            query: { field: field ?? undefined, after: pageParam ?? undefined, limit: 50 },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    enabled,
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
}

// -- titles of related records (batched) ---------------------------------------------------------------------

type Pending = { ids: Set<string>; waiters: Map<string, ((title: RecordData | null) => void)[]> };
const pending = new Map<string, Pending>();

/**
 * Resolve related records' titles in batches: every id asked for in the same tick becomes one
 * `?filter={"field":"id","op":"in",...}` call per object. Visible rows only ask for what they show.
 */
function loadTitle(meta: ObjectMeta, id: string): Promise<RecordData | null> {
  return new Promise((resolve) => {
    let batch = pending.get(meta.name);
    if (!batch) {
      batch = { ids: new Set(), waiters: new Map() };
      pending.set(meta.name, batch);
      const current = batch;
      setTimeout(() => {
        pending.delete(meta.name);
        const ids = [...current.ids];
        const settle = (found: Map<string, RecordData>) => {
          for (const [key, waiters] of current.waiters) for (const w of waiters) w(found.get(key) ?? null);
        };
        const chunks: string[][] = [];
        for (let i = 0; i < ids.length; i += 200) chunks.push(ids.slice(i, i + 200));
        Promise.all(
          chunks.map((chunk) =>
            fetchPage(meta.name, {
              filter: { field: "id", op: "in", value: chunk },
              fields: titleFields(meta),
              limit: 200,
            }),
          ),
        )
          .then((pages) => settle(new Map(pages.flatMap((p) => p.items).map((r) => [r.id, r]))))
          .catch(() => settle(new Map()));
      }, 0);
    }
    batch.ids.add(id);
    const list = batch.waiters.get(id) ?? [];
    list.push(resolve);
    batch.waiters.set(id, list);
  });
}

export function useRelatedRecord(meta: ObjectMeta | undefined, id: string | null | undefined) {
  return useQuery({
    queryKey: keys.title(meta?.name ?? "", id ?? ""),
    queryFn: () => loadTitle(meta as ObjectMeta, id as string),
    enabled: Boolean(meta && id),
    staleTime: 60_000,
  });
}

// -- members (user fields) -----------------------------------------------------------------------------------

export function useMembers() {
  return useQuery({
    queryKey: keys.members,
    queryFn: () => call(api.GET("/api/v1/members")),
    staleTime: 5 * 60_000,
  });
}

// -- saved views ---------------------------------------------------------------------------------------------

export type View = Schemas["View"];

export function useViews(object: string) {
  return useQuery({
    queryKey: keys.views(object),
    queryFn: async () => (await call(api.GET("/api/v1/views", { params: { query: { object } } }))).items,
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    staleTime: 60_000,
  });
}

export function useSaveView(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (view: Partial<View> & { id?: string; name: string }) => {
      const body = {
        name: view.name,
        shared: view.shared ?? false,
        filter: (view.filter ?? null) as Record<string, unknown> | null,
        sort: view.sort ?? null,
        columns: view.columns ?? null,
      };
      if (view.id) {
        return call(api.PATCH("/api/v1/views/{id}", { params: { path: { id: view.id } }, body }));
      }
      return call(api.POST("/api/v1/views", { body: { ...body, object } }));
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.views(object) }),
  });
}

export function useDeleteView(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => call(api.DELETE("/api/v1/views/{id}", { params: { path: { id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.views(object) }),
  });
}
