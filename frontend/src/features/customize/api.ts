/**
 * Server state of the data-model settings: object metadata with archived fields and objects, custom field
 * and object changes, pipelines and their stages (ordinary records: /api/v1/pipelines, /api/v1/stages).
 *
 * Every metadata change invalidates the whole "metadata" key, so the record screens (`useObjects`) pick the
 * new field or object up at once instead of after their five-minute stale time.
 */
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, call, type Schemas } from "@/api/client";
import { ApiError } from "@/api/problem";
import { fetchPage } from "@/api/records";
import type { RecordData } from "@/lib/types";

export type FieldCreate = Schemas["FieldCreate"];
export type FieldUpdate = Schemas["FieldUpdate"];
export type ObjectCreate = Schemas["ObjectCreate"];
export type ObjectUpdate = Schemas["ObjectUpdate"];

export const customizeKeys = {
  /** Under "metadata", next to `keys.objects`, so one invalidation refreshes both. */
  objects: ["metadata", "objects", "with-archived"] as const,
  pipelines: ["records", "pipelines", "settings"] as const,
  stages: (pipelineId: string) => ["records", "stages", "settings", pipelineId] as const,
};

const retry = (count: number, error: unknown) => !(error instanceof ApiError && error.status < 500) && count < 2;

function refreshMetadata(client: QueryClient): Promise<void> {
  return client.invalidateQueries({ queryKey: ["metadata"] });
}

/** Every object the caller may read, archived objects and fields included (settings show both). */
export function useAllObjects() {
  return useQuery({
    queryKey: customizeKeys.objects,
    queryFn: () => call(api.GET("/api/v1/metadata/objects", { params: { query: { include_archived: true } } })),
    retry,
  });
}

// -- custom fields -------------------------------------------------------------------------------------------

export function useAddField(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: FieldCreate) =>
      call(api.POST("/api/v1/metadata/objects/{object}/fields", { params: { path: { object } }, body })),
    onSuccess: () => refreshMetadata(client),
  });
}

export function useUpdateField(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, body }: { name: string; body: FieldUpdate }) =>
      call(api.PATCH("/api/v1/metadata/objects/{object}/fields/{name}", { params: { path: { object, name } }, body })),
    onSuccess: () => refreshMetadata(client),
  });
}

export function useArchiveField(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, archived }: { name: string; archived: boolean }) => {
      const params = { params: { path: { object, name } } };
      return call(
        archived
          ? api.POST("/api/v1/metadata/objects/{object}/fields/{name}/archive", params)
          : api.POST("/api/v1/metadata/objects/{object}/fields/{name}/unarchive", params),
      );
    },
    onSuccess: () => refreshMetadata(client),
  });
}

/** Custom fields in their new order (one request, one transaction); the cache shows it before the answer. */
export function useReorderFields(object: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (fields: string[]) =>
      call(api.PUT("/api/v1/metadata/objects/{object}/field-order", { params: { path: { object } }, body: { fields } })),
    onMutate: async (fields: string[]) => {
      await client.cancelQueries({ queryKey: customizeKeys.objects });
      const before = client.getQueryData<Schemas["ObjectOut"][]>(customizeKeys.objects);
      if (before) client.setQueryData(customizeKeys.objects, reorderedObjects(before, object, fields));
      return { before };
    },
    onError: (_error, _fields, context) => {
      if (context?.before) client.setQueryData(customizeKeys.objects, context.before);
    },
    onSettled: () => refreshMetadata(client),
  });
}

/** `objects` with `object`'s custom fields given positions in the order of `names` (after the standard ones). */
export function reorderedObjects(objects: Schemas["ObjectOut"][], object: string, names: string[]): Schemas["ObjectOut"][] {
  return objects.map((meta) => {
    if (meta.name !== object) return meta;
    const last = Math.max(0, ...meta.fields.filter((f) => f.standard && f.position < 1000).map((f) => f.position));
    const fields = meta.fields.map((f) => {
      const index = names.indexOf(f.name);
      return index < 0 ? f : { ...f, position: last + 1 + index };
    });
    return { ...meta, fields };
  });
}

// -- custom objects ------------------------------------------------------------------------------------------

export function useCreateObject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ObjectCreate) => call(api.POST("/api/v1/metadata/objects", { body })),
    onSuccess: () => refreshMetadata(client),
  });
}

export function useUpdateObject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ object, body }: { object: string; body: ObjectUpdate }) =>
      call(api.PATCH("/api/v1/metadata/objects/{object}", { params: { path: { object } }, body })),
    onSuccess: () => refreshMetadata(client),
  });
}

export function useArchiveObject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ object, archived }: { object: string; archived: boolean }) => {
      const params = { params: { path: { object } } };
      return call(
        archived
          ? api.POST("/api/v1/metadata/objects/{object}/archive", params)
          : api.POST("/api/v1/metadata/objects/{object}/unarchive", params),
      );
    },
    onSuccess: () => refreshMetadata(client),
  });
}

// -- pipelines and stages ------------------------------------------------------------------------------------

/** At most this many pipelines and stages per pipeline are shown: far more than a workspace uses. */
const LIMIT = 200;

export function usePipelines() {
  return useQuery({
    queryKey: customizeKeys.pipelines,
    queryFn: async () => (await fetchPage("pipelines", { sort: "position,created_at", limit: LIMIT })).items,
    retry,
  });
}

export function useStages(pipelineId: string | null) {
  return useQuery({
    queryKey: customizeKeys.stages(pipelineId ?? ""),
    queryFn: async () =>
      (
        await fetchPage("stages", {
          filter: { field: "pipeline_id", op: "eq", value: pipelineId },
          sort: "position,created_at",
          limit: LIMIT,
        })
      ).items,
    enabled: Boolean(pipelineId),
    retry,
  });
}

/** How many live deals sit in a stage: a stage with deals is not removed (they would point at nothing). */
export async function dealsInStage(stageId: string): Promise<number> {
  const page = await call(
    api.GET("/api/v1/{object}", {
      params: {
        path: { object: "deals" },
        query: { filter: JSON.stringify({ field: "stage_id", op: "eq", value: stageId }), limit: 1, fields: "id", count: true },
      },
    }),
  );
  return (page as { total?: number | null }).total ?? 0;
}

async function write(method: "POST" | "PATCH" | "DELETE", object: string, id: string | null, body?: Record<string, unknown>) {
  if (method === "POST") {
    return (await call(api.POST("/api/v1/{object}", { params: { path: { object } }, body: body ?? {} }))) as RecordData;
  }
  if (method === "PATCH") {
    return (await call(
      api.PATCH("/api/v1/{object}/{id}", { params: { path: { object, id: id as string } }, body: body ?? {} }),
    )) as RecordData;
  }
  await call(api.DELETE("/api/v1/{object}/{id}", { params: { path: { object, id: id as string } } }));
  return null;
}

/** Create, rename or delete a pipeline or a stage; lists of both (and boards, deal forms) refresh after. */
export function useRecordWrite(object: "pipelines" | "stages") {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ method, id = null, body }: { method: "POST" | "PATCH" | "DELETE"; id?: string | null; body?: Record<string, unknown> }) =>
      write(method, object, id, body),
    onSettled: () => client.invalidateQueries({ queryKey: ["records", object] }),
  });
}

/**
 * Stages in a new order: one batch update (all or nothing) of the stages whose position changed. No version
 * is sent: only `position` is written, so nobody's rename is overwritten, and two quick moves in a row do
 * not trip over versions the first one bumped.
 */
export function useReorderStages(pipelineId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (stages: RecordData[]) => {
      const records = stages
        .map((stage, position) => ({ id: stage.id, position, before: stage.position }))
        .filter((stage) => stage.before !== stage.position)
        .map(({ id, position }) => ({ id, position }));
      if (records.length === 0) return null;
      return call(api.POST("/api/v1/{object}/batch", { params: { path: { object: "stages" } }, body: { operation: "update", records } }));
    },
    onMutate: async (stages: RecordData[]) => {
      const key = customizeKeys.stages(pipelineId);
      await client.cancelQueries({ queryKey: key });
      const before = client.getQueryData<RecordData[]>(key);
      client.setQueryData(key, stages.map((stage, position) => ({ ...stage, position })));
      return { before };
    },
    onError: (_error, _stages, context) => {
      if (context?.before) client.setQueryData(customizeKeys.stages(pipelineId), context.before);
    },
    onSettled: () => client.invalidateQueries({ queryKey: ["records", "stages"] }),
  });
}
