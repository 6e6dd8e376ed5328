import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError, errorMessage } from "@/api/problem";
import { useDeleteRecord, useObjectMeta, useRecord } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import { can, canChange, formatDateTime, isBookkeeping, isEditable, recordTitle } from "@/lib/fields";
import type { FieldMeta, ObjectMeta, RecordData } from "@/lib/types";
import { Avatar } from "@/ui/Avatar";
import { Button } from "@/ui/Button";
import { cx } from "@/ui/cx";
import { Dialog } from "@/ui/Dialog";
import { EmptyState } from "@/ui/EmptyState";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { Icon, objectIcon } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { AsOfPicker } from "./AsOfPicker";
import { FieldHistoryDialog } from "./FieldHistoryDialog";
import { FieldValue } from "./FieldValue";
import { InlineEdit } from "./InlineEdit";
import { RelatedLists } from "./RelatedLists";
import { Timeline } from "./Timeline";
import { RecordBoardActions } from "@/features/board/RecordBoardActions";
import { CreateTaskDialog } from "@/features/tasks/CreateTaskDialog";
import { useCanCreateTasks } from "@/features/tasks/NewTaskButton";

interface Group {
  title: string;
  fields: FieldMeta[];
}

/** Fields in groups: the object's own, its address, custom fields, then the record's bookkeeping. */
export function groupFields(meta: ObjectMeta): Group[] {
  const info = new Set(["id", "created_at", "updated_at"]);
  const groups: Group[] = [
    { title: "Details", fields: meta.fields.filter((f) => f.standard && !info.has(f.name) && !isBookkeeping(f) && !f.name.startsWith("address_")) },
    { title: "Address", fields: meta.fields.filter((f) => f.name.startsWith("address_")) },
    { title: "Custom fields", fields: meta.fields.filter((f) => !f.standard && !info.has(f.name)) },
    { title: "Record", fields: meta.fields.filter((f) => info.has(f.name)) },
  ];
  return groups.filter((g) => g.fields.length > 0);
}

function FieldRow({ meta, record, field, readOnly, onHistory }: { meta: ObjectMeta; record: RecordData; field: FieldMeta; readOnly: boolean; onHistory: () => void }) {
  const [editing, setEditing] = useState(false);
  const writable = isEditable(field) && !readOnly;
  const value = record[field.name];
  return (
    <div className="group grid grid-cols-[112px_minmax(0,1fr)_24px] items-start gap-2 py-px sm:grid-cols-[136px_minmax(0,1fr)_24px]" data-field={field.name}>
      <span className="truncate pt-[5px] text-[13px] text-muted" title={field.help_text ?? field.label}>
        {field.label}
      </span>
      {editing ? (
        <InlineEdit object={meta.name} record={record} field={field} onDone={() => setEditing(false)} />
      ) : writable ? (
        // The edit button lies under the value, not around it: a value can hold links (a relation's records),
        // and a link inside a button is out of reach for keyboards and screen readers.
        <div className="relative flex min-h-[30px] min-w-0 items-center rounded-md px-2 text-sm hover:bg-hover">
          <button type="button" aria-label={`Edit ${field.label}`} onClick={() => setEditing(true)} className="absolute inset-0 cursor-text rounded-md" />
          <span className="pointer-events-none relative min-w-0 [&_a]:pointer-events-auto">
            <FieldValue field={field} value={value} empty="Empty" />
          </span>
        </div>
      ) : (
        <div className="flex min-h-[30px] min-w-0 items-center px-2 text-sm" aria-label={field.label}>
          <FieldValue field={field} value={value} empty="—" />
        </div>
      )}
      {field.type !== "id" ? (
        <button
          type="button"
          aria-label={`History of ${field.label}`}
          title={`History of ${field.label}`}
          onClick={onHistory}
          className="mt-[3px] rounded p-1 text-faint opacity-0 group-hover:opacity-100 hover:bg-hover hover:text-fg focus-visible:opacity-100"
        >
          <Icon name="history" size={14} />
        </button>
      ) : null}
    </div>
  );
}

function RecordSkeleton() {
  return (
    <div className="flex h-full flex-col" aria-busy="true">
      <div className="flex h-12 items-center border-b border-line bg-surface px-4">
        <Skeleton className="w-56" />
      </div>
      <div className="grid gap-4 p-4 lg:grid-cols-[400px_minmax(0,1fr)]">
        <div className="k-card space-y-3 p-4">
          <Skeleton className="h-6 w-48" />
          {Array.from({ length: 8 }, (_, i) => (
            <div key={i} className="flex gap-4">
              <Skeleton className="w-24" />
              <Skeleton className="w-40" />
            </div>
          ))}
        </div>
        <div className="k-card h-64" />
      </div>
    </div>
  );
}

/** The one record screen for every object: fields with inline edit and history, related records, timeline. */
export default function RecordPage() {
  const { object = "", id = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const asOf = params.get("as_of");
  const navigate = useNavigate();
  const toast = useToast();
  const { meta, isLoading: metaLoading, error: metaError } = useObjectMeta(object);
  const record = useRecord(object, id, asOf);
  const remove = useDeleteRecord(object);
  const [historyOf, setHistoryOf] = useState<FieldMeta | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [addingTask, setAddingTask] = useState(false);
  const canCreateTasks = useCanCreateTasks();
  const me = useMe();
  const setAsOf = (value: string | null) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set("as_of", value);
        else next.delete("as_of");
        return next;
      },
      { replace: false },
    );

  if (metaError) return <div className="p-6"><ErrorBanner error={metaError} /></div>;
  if (metaLoading || (record.isLoading && !record.data)) return <RecordSkeleton />;
  if (!meta) return <EmptyState icon="search" title="No such object">There is no object called “{object}”.</EmptyState>;

  const notThen = asOf && record.error instanceof ApiError && record.error.status === 404;
  if (record.error && !record.data && !notThen) {
    return (
      <div className="p-6">
        {record.error instanceof ApiError && record.error.status === 404 ? (
          <EmptyState icon="search" title={`This ${meta.singular} does not exist`}>
            It may have been deleted, or you may not see it. <Link className="text-accent-text hover:underline" to={`/${object}`}>Back to {meta.label_plural.toLowerCase()}</Link>
          </EmptyState>
        ) : (
          <ErrorBanner error={record.error} onRetry={() => void record.refetch()} />
        )}
      </div>
    );
  }
  const data = notThen ? undefined : record.data;
  const title = data ? recordTitle(meta, data) : meta.singular;
  const canDelete = data !== undefined && canChange(meta, data, "delete", me.user.id) && !asOf;
  const canUpdate = data !== undefined && canChange(meta, data, "update", me.user.id);
  // A record the role shows but does not let them change (a teammate's, for a sales rep): say why it is read-only.
  const othersRecord = data !== undefined && can(meta, "update") && !canUpdate;

  return (
    <div className="flex h-full flex-col">
      <header className="flex h-12 shrink-0 items-center gap-2 border-b border-line bg-surface px-3 sm:px-4">
        <Link to={`/${meta.name}`} className="flex items-center gap-1.5 rounded px-1 text-sm text-muted hover:text-fg">
          <Icon name={objectIcon(meta.name)} size={15} />
          <span className="sr-only sm:not-sr-only">{meta.label_plural}</span>
        </Link>
        <Icon name="chevronRight" size={13} className="text-faint" />
        <h1 className="min-w-0 truncate text-sm font-semibold">{title}</h1>
        <div className="ml-auto flex items-center gap-2">
          <AsOfPicker value={asOf} onChange={setAsOf} createdAt={data ? String(data.created_at ?? "") : undefined} />
          {data && !asOf ? <RecordBoardActions meta={meta} record={data} /> : null}
          {canCreateTasks && !asOf && data && meta.name !== "activities" ? (
            <Button size="sm" icon="plus" onClick={() => setAddingTask(true)} aria-label="Add task" title={`Add a task linked to this ${meta.singular}`}>
              <span className="sr-only sm:not-sr-only">Add task</span>
            </Button>
          ) : null}
          {canDelete ? <Button size="sm" variant="ghost" icon="trash" aria-label={`Delete ${meta.singular}`} onClick={() => setConfirmDelete(true)} /> : null}
        </div>
      </header>
      {asOf ? (
        <div role="status" className="flex shrink-0 items-center gap-2 border-b border-warning/30 bg-warning-soft px-4 py-2 text-sm" data-testid="as-of-banner">
          <Icon name="clock" size={14} className="text-warning" />
          <span>
            Viewing this {meta.singular} as it was on <strong>{formatDateTime(asOf)}</strong>. Fields are read-only.
          </span>
          <button type="button" className="ml-auto font-medium text-accent-text hover:underline" onClick={() => setAsOf(null)}>
            Back to now
          </button>
        </div>
      ) : null}
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className={cx("mx-auto grid max-w-[1400px] gap-4 p-3 sm:p-4 lg:grid-cols-[minmax(340px,420px)_minmax(0,1fr)]", record.isFetching && asOf && "opacity-70")}>
          <div className="space-y-3">
            <div className="k-card flex items-center gap-3 p-4">
              <Avatar name={title} size={40} square={meta.name !== "contacts" && meta.name !== "leads"} />
              <div className="min-w-0">
                <p className="truncate text-lg font-semibold" data-testid="record-title">{title}</p>
                <p className="text-xs text-muted">{meta.label}</p>
              </div>
            </div>
            {othersRecord ? (
              <p className="k-card p-3 text-sm text-muted" data-testid="record-read-only">
                Your role lets you read this {meta.singular} but change only your own {meta.label_plural.toLowerCase()}.
              </p>
            ) : null}
            {notThen ? (
              <div className="k-card p-4 text-sm text-muted">This {meta.singular} did not exist at that moment (or was deleted then).</div>
            ) : data ? (
              groupFields(meta).map((group) => (
                <section key={group.title} className="k-card px-3 py-2.5" aria-label={group.title}>
                  <h2 className="px-0.5 pb-1 text-xs font-semibold tracking-wide text-faint uppercase">{group.title}</h2>
                  {group.fields.map((field) => (
                    <FieldRow key={field.name} meta={meta} record={data} field={field} readOnly={Boolean(asOf) || !canUpdate} onHistory={() => setHistoryOf(field)} />
                  ))}
                </section>
              ))
            ) : null}
          </div>
          <div className="min-w-0 space-y-4">
            <RelatedLists object={meta.name} id={id} />
            <section className="k-card p-4" aria-label="Timeline">
              <h2 className="mb-3 text-sm font-semibold">Timeline</h2>
              <Timeline object={meta.name} id={id} />
            </section>
          </div>
        </div>
      </div>
      {historyOf ? (
        <FieldHistoryDialog
          object={meta.name}
          id={id}
          field={historyOf}
          onClose={() => setHistoryOf(null)}
          onViewAsOf={(instant) => {
            setHistoryOf(null);
            setAsOf(instant);
          }}
        />
      ) : null}
      {addingTask ? <CreateTaskDialog open links={[{ object: meta.name, id }]} onClose={() => setAddingTask(false)} /> : null}
      <Dialog
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        title={`Delete this ${meta.singular}?`}
        width="max-w-sm"
        footer={
          <>
            <Button variant="ghost" onClick={() => setConfirmDelete(false)}>Cancel</Button>
            <Button
              variant="danger"
              loading={remove.isPending}
              onClick={async () => {
                try {
                  await remove.mutateAsync({ id, version: data?.version });
                  toast({ kind: "success", message: `${meta.label} deleted` });
                  navigate(`/${meta.name}`);
                } catch (error) {
                  toast({ kind: "error", message: "Not deleted", detail: errorMessage(error) });
                }
              }}
            >
              Delete
            </Button>
          </>
        }
      >
        <p className="text-sm text-muted">It leaves lists and searches but keeps its history, and can be restored.</p>
      </Dialog>
    </div>
  );
}
