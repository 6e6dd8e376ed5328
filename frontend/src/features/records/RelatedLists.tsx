import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { useObjects, useRecordCount, useRecordList } from "@/api/records";
import { isEditable, isListField, recordTitle, relationTarget, titleFields } from "@/lib/fields";
import type { FieldMeta, FilterNode, ObjectMeta } from "@/lib/types";
import { Button } from "@/ui/Button";
import { cx } from "@/ui/cx";
import { Icon, objectIcon } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { CreateRecordDialog } from "./CreateRecordDialog";
import { FieldValue } from "./FieldValue";
import type { Chip } from "./listState";

interface Relation {
  meta: ObjectMeta;
  field: FieldMeta;
  filter: FilterNode;
  chip: Chip;
  initial: Record<string, unknown>;
}

/** Every object that points at this one: by a relation field (company_id, contact_ids) or a record link. */
export function useRelations(object: string, id: string): Relation[] {
  const objects = useObjects();
  const out: Relation[] = [];
  for (const meta of objects.data ?? []) {
    for (const field of meta.fields) {
      if (field.system) continue;
      if (field.type === "relation" && relationTarget(field) === object) {
        const many = isListField(field);
        const op = many ? "contains" : "eq";
        out.push({ meta, field, filter: { field: field.name, op, value: id }, chip: { field: field.name, op, value: id }, initial: { [field.name]: many ? [id] : id } });
      }
      if (field.type === "record_link" && meta.name !== object) {
        const value = { object, id };
        out.push({ meta, field, filter: { field: field.name, op: "contains", value }, chip: { field: field.name, op: "contains", value }, initial: { [field.name]: [value] } });
      }
    }
  }
  return out;
}

function RelatedSection({ relation, many }: { relation: Relation; many: boolean }) {
  const { meta, field } = relation;
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const extra = meta.fields.filter((f) => !f.system && f.name !== meta.title_field && f.name !== field.name && f.type !== "record_link" && f.name !== "first_name").slice(0, 2);
  const list = useRecordList(meta.name, { filter: relation.filter, sort: "-created_at", limit: 5, fields: [...titleFields(meta), ...extra.map((f) => f.name)] });
  const count = useRecordCount(meta.name, relation.filter);
  const rows = list.data?.pages[0]?.items ?? [];
  const canCreate = meta.fields.some((f) => isEditable(f)) && isEditable(field);
  const title = many ? `${meta.label_plural} · ${field.label}` : meta.label_plural;
  return (
    <section className="k-card" aria-label={title}>
      <header className={cx("flex items-center gap-2 px-3.5 py-2", (list.isLoading || rows.length > 0) && "border-b border-line")}>
        <Icon name={objectIcon(meta.name)} size={14} className="text-muted" />
        <h3 className="text-sm font-medium">{title}</h3>
        <span className="text-xs text-faint tabular-nums">{count.data ?? ""}</span>
        <div className="ml-auto flex items-center gap-1">
          {canCreate ? <Button size="sm" variant="ghost" icon="plus" aria-label={`Add ${meta.singular}`} onClick={() => setCreating(true)} /> : null}
          <Link className="text-xs text-muted hover:text-fg" to={`/${meta.name}?f=${encodeURIComponent(JSON.stringify([relation.chip]))}`}>
            View all
          </Link>
        </div>
      </header>
      {list.isLoading ? (
        <div className="space-y-2 p-3.5">
          <Skeleton className="w-40" />
          <Skeleton className="w-32" />
        </div>
      ) : rows.length === 0 ? null : (
        <ul className="divide-y divide-line">
          {rows.map((row) => (
            <li key={row.id} className="flex min-w-0 items-center gap-3 px-3.5 py-2 text-sm">
              <Link to={`/${meta.name}/${row.id}`} className="min-w-0 truncate font-medium hover:underline">
                {recordTitle(meta, row)}
              </Link>
              <span className="ml-auto flex min-w-0 items-center gap-3 text-muted">
                {extra.map((f) => (
                  <span key={f.name} className="hidden min-w-0 truncate sm:inline">
                    <FieldValue field={f} value={row[f.name]} />
                  </span>
                ))}
              </span>
            </li>
          ))}
        </ul>
      )}
      {creating ? (
        <CreateRecordDialog meta={meta} open initial={relation.initial} onClose={() => setCreating(false)} onCreated={(r) => navigate(`/${meta.name}/${r.id}`)} />
      ) : null}
    </section>
  );
}

export function RelatedLists({ object, id }: { object: string; id: string }) {
  const relations = useRelations(object, id);
  if (!relations.length) return null;
  const perObject = new Map<string, number>();
  for (const r of relations) perObject.set(r.meta.name, (perObject.get(r.meta.name) ?? 0) + 1);
  return (
    <div className="space-y-3">
      {relations.map((relation) => (
        <RelatedSection key={`${relation.meta.name}.${relation.field.name}`} relation={relation} many={(perObject.get(relation.meta.name) ?? 0) > 1} />
      ))}
    </div>
  );
}
