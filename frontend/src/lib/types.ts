import type { Schemas } from "@/api/client";

export type ObjectMeta = Schemas["ObjectOut"];
export type FieldMeta = Schemas["FieldOut"];
export type FieldType = FieldMeta["type"];
/** A record as the API returns it: id, version and field values by API name. */
export type RecordData = { id: string; version: number } & Record<string, unknown>;
export interface Money {
  amount_minor: number;
  currency: string;
}
export interface RecordLink {
  object: string;
  id: string;
}
/** A list filter: {field, op, value} or {and|or: [...]} (the API's JSON filter tree). */
export type FilterNode = { field: string; op: string; value?: unknown } | { and: FilterNode[] } | { or: FilterNode[] };
