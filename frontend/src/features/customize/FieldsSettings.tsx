/**
 * Settings > Fields: one object's fields in the order forms show them. Standard fields (declared by the
 * product) are listed and locked; custom fields can be added, edited, dragged into order, archived and
 * brought back. Archiving keeps every value and its history.
 */
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import type { FieldMeta, ObjectMeta } from "@/lib/types";
import { Badge, Card, ConfirmDialog, ReadOnlyNotice, SectionHeader } from "@/features/settings/components";
import { Button } from "@/ui/Button";
import { EmptyState } from "@/ui/EmptyState";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { Icon } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { errorMessage } from "@/api/problem";
import { useAllObjects, useArchiveField, useReorderFields } from "./api";
import { FieldDialog } from "./FieldDialog";
import { typeLabel } from "./fieldTypes";
import { SortableList } from "./SortableList";
import { StandardOptionsDialog } from "./StandardOptionsDialog";

function byPosition(a: FieldMeta, b: FieldMeta): number {
  return a.position - b.position || a.name.localeCompare(b.name);
}

function FieldFacts({ field }: { field: FieldMeta }) {
  return (
    <span className="flex flex-wrap items-center gap-1">
      <Badge>{typeLabel(field.type)}{field.many && field.type !== "multi_select" ? " (list)" : ""}</Badge>
      {field.required ? <Badge tone="accent">Required</Badge> : null}
      {field.unique ? <Badge tone="accent">Unique</Badge> : null}
      {field.system ? <Badge>Set by the system</Badge> : null}
    </span>
  );
}

function FieldLabel({ field }: { field: FieldMeta }) {
  return (
    <div className="min-w-0 flex-1">
      <p className="truncate text-sm font-medium">{field.label}</p>
      <p className="truncate font-mono text-xs text-faint">{field.name}</p>
      {field.help_text ? <p className="mt-0.5 line-clamp-2 text-xs text-muted">{field.help_text}</p> : null}
    </div>
  );
}

const ROW_CONTENT = "flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2.5 sm:flex-nowrap";
const ROW = `${ROW_CONTENT} border-b border-line last:border-b-0`;

function FieldsSkeleton() {
  return (
    <div aria-busy="true" aria-label="Loading fields">
      <Skeleton className="mb-6 h-9 w-64" />
      {[0, 1].map((card) => (
        <div key={card} className="k-card mb-6">
          <div className="border-b border-line px-5 py-3">
            <Skeleton className="h-4 w-32" />
          </div>
          {Array.from({ length: 5 }, (_, i) => (
            <div key={i} className={ROW}>
              <Skeleton className="h-8 w-40" />
              <Skeleton className="ml-auto h-4 w-20" />
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}

function ObjectFields({ meta, objects }: { meta: ObjectMeta; objects: ObjectMeta[] }) {
  const toast = useToast();
  const reorder = useReorderFields(meta.name);
  const archive = useArchiveField(meta.name);
  const [dialog, setDialog] = useState<{ field?: FieldMeta } | null>(null);
  const [archiving, setArchiving] = useState<FieldMeta | null>(null);
  const [configuring, setConfiguring] = useState<FieldMeta | null>(null);
  const canCustomize = meta.permissions?.customize === true;
  const active = meta.fields.filter((f) => !f.archived).sort(byPosition);
  const standard = active.filter((f) => f.standard);
  const custom = active.filter((f) => !f.standard);
  const archived = meta.fields.filter((f) => f.archived).sort(byPosition);

  const restore = async (field: FieldMeta) => {
    try {
      await archive.mutateAsync({ name: field.name, archived: false });
      toast({ kind: "success", message: `“${field.label}” is back, with its values` });
    } catch (error) {
      toast({ kind: "error", message: `Could not unarchive “${field.label}”`, detail: errorMessage(error) });
    }
  };
  const move = (fields: FieldMeta[]) =>
    reorder.mutate(
      fields.map((f) => f.name),
      { onError: (error) => toast({ kind: "error", message: "The new order was not saved", detail: errorMessage(error) }) },
    );

  return (
    <>
      {canCustomize ? null : <ReadOnlyNotice>Only workspace admins can change fields.</ReadOnlyNotice>}
      <Card
        title={`Custom fields (${custom.length})`}
        description={
          canCustomize && custom.length > 1 ? "Drag a handle, or focus it and use Space and the arrow keys, to change the order forms and lists use." : undefined
        }
      >
        {custom.length === 0 ? (
          <EmptyState icon="columns" title={`No custom fields on ${meta.label_plural.toLowerCase()} yet`}>
            {canCustomize ? "Add one for anything the standard fields do not cover." : null}
          </EmptyState>
        ) : (
          <SortableList
            items={custom}
            idOf={(f) => f.name}
            labelOf={(f) => f.label}
            onReorder={move}
            label={`Custom fields of ${meta.label_plural.toLowerCase()}`}
            disabled={!canCustomize}
            className="-mx-4 -my-4 sm:-mx-5"
            rowClassName="border-b border-line bg-surface last:border-b-0"
          >
            {(field, handle) => (
              <div className={ROW_CONTENT} data-field={field.name}>
                {canCustomize ? handle : null}
                <FieldLabel field={field} />
                <FieldFacts field={field} />
                {canCustomize ? (
                  <span className="flex shrink-0 gap-1">
                    <Button size="sm" variant="ghost" icon="edit" aria-label={`Edit ${field.label}`} onClick={() => setDialog({ field })} />
                    <Button size="sm" variant="ghost" icon="box" aria-label={`Archive ${field.label}`} onClick={() => setArchiving(field)} />
                  </span>
                ) : null}
              </div>
            )}
          </SortableList>
        )}
      </Card>
      <Card title={`Standard fields (${standard.length})`} description="Part of the product: always there, in this order.">
        <ul aria-label={`Standard fields of ${meta.label_plural.toLowerCase()}`} className="-mx-4 -my-4 sm:-mx-5">
          {standard.map((field) => (
            <li key={field.name} className={ROW} data-field={field.name}>
              <Icon name="lock" size={14} className="shrink-0 text-faint" aria-label="Standard field" />
              <FieldLabel field={field} />
              <FieldFacts field={field} />
              {canCustomize && (field.settings as { configurable_options?: boolean }).configurable_options ? (
                <Button size="sm" onClick={() => setConfiguring(field)} aria-label={`Edit the options of ${field.label}`}>
                  Options
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      </Card>
      {archived.length ? (
        <Card title={`Archived fields (${archived.length})`} description="Hidden from forms, lists and the API. Their values are kept and come back on unarchive.">
          <ul aria-label="Archived fields" className="-mx-4 -my-4 sm:-mx-5">
            {archived.map((field) => (
              <li key={field.name} className={ROW} data-field={field.name}>
                <FieldLabel field={field} />
                <FieldFacts field={field} />
                {canCustomize ? (
                  <Button size="sm" onClick={() => void restore(field)} aria-label={`Unarchive ${field.label}`}>
                    Unarchive
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
      {dialog ? <FieldDialog meta={meta} field={dialog.field} objects={objects} onClose={() => setDialog(null)} /> : null}
      {configuring ? <StandardOptionsDialog meta={meta} field={configuring} onClose={() => setConfiguring(null)} /> : null}
      <ConfirmDialog
        open={archiving !== null}
        title={`Archive “${archiving?.label ?? ""}”?`}
        confirmLabel="Archive field"
        onClose={() => setArchiving(null)}
        onConfirm={async () => {
          if (!archiving) return;
          await archive.mutateAsync({ name: archiving.name, archived: true });
          toast({ kind: "success", message: `Archived “${archiving.label}”`, detail: "Its values are kept." });
        }}
      >
        <p>It leaves forms, lists, filters and the API.</p>
        <p className="mt-2 text-muted">
          No data is deleted: every record keeps its value and its history, and unarchiving brings the field back as it was.
        </p>
      </ConfirmDialog>
    </>
  );
}

export function FieldsSettings() {
  const [params, setParams] = useSearchParams();
  const objects = useAllObjects();
  const live = useMemo(() => (objects.data ?? []).filter((o) => !o.archived), [objects.data]);
  const name = params.get("object") ?? live[0]?.name ?? "";
  const meta = live.find((o) => o.name === name);
  const [creating, setCreating] = useState(false);

  if (objects.error) return <ErrorBanner error={objects.error} onRetry={() => void objects.refetch()} />;
  return (
    <div>
      <SectionHeader
        title="Fields"
        description="What each object records. Custom fields appear in forms, lists, filters, imports and the API."
        actions={
          meta?.permissions?.customize ? (
            <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>
              New field
            </Button>
          ) : null
        }
      />
      {objects.isLoading ? (
        <FieldsSkeleton />
      ) : (
        <>
          <div className="mb-6 flex flex-wrap items-end gap-3">
            <div className="w-full sm:w-64">
              <label htmlFor="fields-object" className="k-label">
                Object
              </label>
              <select
                id="fields-object"
                className="k-input h-9"
                value={meta?.name ?? ""}
                onChange={(e) => setParams({ object: e.target.value }, { replace: true })}
              >
                {live.map((o) => (
                  <option key={o.name} value={o.name}>
                    {o.label_plural}
                    {o.custom ? " (custom)" : ""}
                  </option>
                ))}
              </select>
            </div>
            {meta ? (
              <Link to={`/${meta.name}`} className="mb-2 text-sm text-accent-text hover:underline">
                Open {meta.label_plural.toLowerCase()}
              </Link>
            ) : null}
          </div>
          {meta ? (
            <ObjectFields key={meta.name} meta={meta} objects={live} />
          ) : (
            <EmptyState icon="search" title="No such object">
              There is no object called “{name}”, or you may not read it.
            </EmptyState>
          )}
          {creating && meta ? <FieldDialog meta={meta} objects={live} onClose={() => setCreating(false)} /> : null}
        </>
      )}
    </div>
  );
}
