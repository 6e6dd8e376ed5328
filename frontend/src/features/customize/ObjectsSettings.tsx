/**
 * Settings > Objects: the workspace's own objects (projects, vehicles...) next to the built-in ones. Create,
 * rename, archive and unarchive them; each links to its list and its fields. A custom object gets the whole
 * record engine: list, record page, history, permissions, API at /api/v1/<api name>.
 */
import { useId, useState } from "react";
import { Link } from "react-router";
import { ApiError, errorMessage } from "@/api/problem";
import type { ObjectMeta } from "@/lib/types";
import { Badge, Card, ConfirmDialog, ReadOnlyNotice, SectionHeader } from "@/features/settings/components";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { EmptyState } from "@/ui/EmptyState";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { FormError, TextField } from "@/ui/Field";
import { Icon } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { useToast } from "@/ui/Toast";
import { useAllObjects, useArchiveObject, useCreateObject, useUpdateObject } from "./api";
import { apiNameFrom } from "./fieldTypes";

interface ObjectDraft {
  label: string;
  labelPlural: string;
  apiName: string;
  apiNameEdited: boolean;
  description: string;
}

/** "Project" -> "Projects", "Property" -> "Properties": a first guess the user can correct. */
export function pluralOf(label: string): string {
  const word = label.trim();
  if (!word) return "";
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  return `${word}s`;
}

function ObjectDialog({ object, onClose }: { object?: ObjectMeta; onClose: () => void }) {
  const toast = useToast();
  const formId = useId();
  const create = useCreateObject();
  const update = useUpdateObject();
  const [draft, setDraft] = useState<ObjectDraft>(() => ({
    label: object?.label ?? "",
    labelPlural: object?.label_plural ?? "",
    apiName: object?.name ?? "",
    apiNameEdited: Boolean(object),
    description: object?.description ?? "",
  }));
  const [pluralEdited, setPluralEdited] = useState(Boolean(object));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const setLabel = (label: string) =>
    setDraft((d) => {
      const labelPlural = pluralEdited ? d.labelPlural : pluralOf(label);
      return { ...d, label, labelPlural, apiName: d.apiNameEdited ? d.apiName : apiNameFrom(labelPlural) };
    });
  const setPlural = (labelPlural: string) => {
    setPluralEdited(true);
    setDraft((d) => ({ ...d, labelPlural, apiName: d.apiNameEdited ? d.apiName : apiNameFrom(labelPlural) }));
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    const description = draft.description.trim() || null;
    try {
      if (object) {
        await update.mutateAsync({
          object: object.name,
          body: { label: draft.label.trim(), label_plural: draft.labelPlural.trim(), description },
        });
        toast({ kind: "success", message: `Saved “${draft.labelPlural.trim()}”` });
      } else {
        await create.mutateAsync({
          api_name: draft.apiName,
          label: draft.label.trim(),
          label_plural: draft.labelPlural.trim(),
          ...(description ? { description } : {}),
        });
        toast({ kind: "success", message: `Created “${draft.labelPlural.trim()}”`, detail: "Add fields to it, then records." });
      }
      onClose();
    } catch (error) {
      if (error instanceof ApiError) {
        setErrors(error.byField());
        setFormError(error.formMessage(["label", "label_plural", "api_name", "description", "singular"]));
      } else setFormError(errorMessage(error));
    }
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title={object ? `Rename “${object.label_plural}”` : "New object"}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form={formId} loading={create.isPending || update.isPending}>
            {object ? "Save" : "Create object"}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="space-y-4" noValidate aria-label={object ? "Rename object" : "New object"}>
        <FormError message={formError} />
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="Name (singular)" value={draft.label} onChange={(e) => setLabel(e.target.value)} error={errors.label} maxLength={200} placeholder="Project" autoFocus />
          <TextField label="Name (plural)" value={draft.labelPlural} onChange={(e) => setPlural(e.target.value)} error={errors.label_plural} maxLength={200} placeholder="Projects" />
        </div>
        {object ? (
          <div>
            <span className="k-label">API name</span>
            <p className="font-mono text-xs text-muted">{object.name} — stays, so links and integrations keep working.</p>
          </div>
        ) : (
          <TextField
            label="API name"
            value={draft.apiName}
            onChange={(e) => setDraft((d) => ({ ...d, apiName: e.target.value, apiNameEdited: true }))}
            error={errors.api_name ?? errors.singular}
            maxLength={63}
            spellCheck={false}
            autoCapitalize="off"
            hint={`Plural, lower_snake_case: records live at /api/v1/${draft.apiName || "…"}. It cannot change later.`}
          />
        )}
        <div>
          <label htmlFor={`${formId}-description`} className="k-label">
            Description
          </label>
          <textarea
            id={`${formId}-description`}
            className="k-input min-h-16 py-1.5"
            value={draft.description}
            maxLength={2000}
            onChange={(e) => setDraft((d) => ({ ...d, description: e.target.value }))}
            placeholder="What its records are for"
          />
          {errors.description ? (
            <p role="alert" className="mt-1 text-xs text-danger">
              {errors.description}
            </p>
          ) : null}
        </div>
        {object ? null : (
          <p className="text-xs text-muted">
            Records are titled by their Name field and have an Owner; add any other fields once it exists.
          </p>
        )}
      </form>
    </Dialog>
  );
}

const ROW = "flex flex-wrap items-center gap-x-3 gap-y-2 border-b border-line px-4 py-3 last:border-b-0 sm:flex-nowrap sm:px-5";

function ObjectRow({ object, canCustomize, onRename, onArchive }: { object: ObjectMeta; canCustomize: boolean; onRename: () => void; onArchive: () => void }) {
  const customFields = object.fields.filter((f) => !f.standard && !f.archived).length;
  return (
    <li className={ROW} data-object={object.name}>
      <Icon name="box" size={16} className="shrink-0 text-muted" />
      <div className="min-w-0 flex-1">
        <p className="flex items-center gap-2 text-sm font-medium">
          <span className="truncate">{object.label_plural}</span>
          {object.archived ? <Badge tone="warning">Archived</Badge> : null}
        </p>
        <p className="truncate text-xs text-muted">
          <span className="font-mono">{object.name}</span> · {customFields} custom {customFields === 1 ? "field" : "fields"}
          {object.description ? ` · ${object.description}` : ""}
        </p>
      </div>
      <span className="flex shrink-0 flex-wrap items-center gap-1">
        {object.archived ? null : (
          <>
            <Link to={`/${object.name}`} className="rounded-md px-2 py-1 text-sm text-accent-text hover:bg-hover">
              Open list
            </Link>
            <Link to={`/settings/fields?object=${object.name}`} className="rounded-md px-2 py-1 text-sm text-accent-text hover:bg-hover">
              Fields
            </Link>
          </>
        )}
        {canCustomize ? (
          <>
            {object.archived ? null : <Button size="sm" variant="ghost" icon="edit" aria-label={`Rename ${object.label_plural}`} onClick={onRename} />}
            <Button size="sm" onClick={onArchive} aria-label={`${object.archived ? "Unarchive" : "Archive"} ${object.label_plural}`}>
              {object.archived ? "Unarchive" : "Archive"}
            </Button>
          </>
        ) : null}
      </span>
    </li>
  );
}

export function ObjectsSettings() {
  const toast = useToast();
  const objects = useAllObjects();
  const archive = useArchiveObject();
  const [dialog, setDialog] = useState<{ object?: ObjectMeta } | null>(null);
  const [archiving, setArchiving] = useState<ObjectMeta | null>(null);
  const all = objects.data ?? [];
  const custom = all.filter((o) => o.custom);
  const builtIn = all.filter((o) => !o.custom);
  // Creating objects is an admin's; the metadata says so per object (`customize`).
  const canCustomize = all.some((o) => o.permissions?.customize === true);

  const toggle = async (object: ObjectMeta) => {
    if (!object.archived) {
      setArchiving(object);
      return;
    }
    try {
      await archive.mutateAsync({ object: object.name, archived: false });
      toast({ kind: "success", message: `“${object.label_plural}” is back, with its records` });
    } catch (error) {
      toast({ kind: "error", message: `Could not unarchive “${object.label_plural}”`, detail: errorMessage(error) });
    }
  };

  return (
    <div>
      <SectionHeader
        title="Objects"
        description="Your own kinds of records, with the same lists, history, permissions and API as the built-in ones."
        actions={
          canCustomize ? (
            <Button variant="primary" icon="plus" onClick={() => setDialog({})}>
              New object
            </Button>
          ) : null
        }
      />
      {objects.error ? <ErrorBanner error={objects.error} onRetry={() => void objects.refetch()} /> : null}
      {objects.isLoading ? (
        <div className="k-card mb-6" aria-busy="true" aria-label="Loading objects">
          {Array.from({ length: 4 }, (_, i) => (
            <div key={i} className={ROW}>
              <Skeleton className="h-4 w-4" />
              <Skeleton className="h-8 w-48" />
              <Skeleton className="ml-auto h-6 w-24" />
            </div>
          ))}
        </div>
      ) : objects.data ? (
        <>
          {canCustomize ? null : <ReadOnlyNotice>Only workspace admins can create or change objects.</ReadOnlyNotice>}
          <Card title={`Custom objects (${custom.length})`}>
            {custom.length === 0 ? (
              <EmptyState icon="box" title="No custom objects yet">
                Projects, vehicles, properties, subscriptions: create an object for anything your CRM should track.
              </EmptyState>
            ) : (
              <ul aria-label="Custom objects" className="-mx-4 -my-4 sm:-mx-5">
                {custom.map((object) => (
                  <ObjectRow key={object.name} object={object} canCustomize={canCustomize} onRename={() => setDialog({ object })} onArchive={() => void toggle(object)} />
                ))}
              </ul>
            )}
          </Card>
          <Card title="Built-in objects" description="Part of the product: they cannot be renamed or archived, but you can add fields to them.">
            <ul aria-label="Built-in objects" className="-mx-4 -my-4 sm:-mx-5">
              {builtIn.map((object) => (
                <ObjectRow key={object.name} object={object} canCustomize={false} onRename={() => undefined} onArchive={() => undefined} />
              ))}
            </ul>
          </Card>
        </>
      ) : null}
      {dialog ? <ObjectDialog object={dialog.object} onClose={() => setDialog(null)} /> : null}
      <ConfirmDialog
        open={archiving !== null}
        title={`Archive “${archiving?.label_plural ?? ""}”?`}
        confirmLabel="Archive object"
        onClose={() => setArchiving(null)}
        onConfirm={async () => {
          if (!archiving) return;
          await archive.mutateAsync({ object: archiving.name, archived: true });
          toast({ kind: "success", message: `Archived “${archiving.label_plural}”`, detail: "Its records are kept." });
        }}
      >
        <p>Its list, records and API go away for everyone.</p>
        <p className="mt-2 text-muted">Nothing is deleted: every record and its history is kept, and unarchiving brings them back.</p>
      </ConfirmDialog>
    </div>
  );
}
