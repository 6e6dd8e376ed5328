/**
 * The options of a standard select the product lets each workspace configure (a lead's status): labels,
 * order, new options. The options the product relies on cannot be removed; the server refuses it anyway.
 */
import { useState } from "react";
import { ApiError, errorMessage } from "@/api/problem";
import type { FieldMeta, ObjectMeta } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { FormError } from "@/ui/Field";
import { useToast } from "@/ui/Toast";
import { useUpdateField } from "./api";
import { errorsByKey, optionKey, type OptionDraft } from "./fieldTypes";
import { OptionsEditor } from "./OptionsEditor";

export function StandardOptionsDialog({ meta, field, onClose }: { meta: ObjectMeta; field: FieldMeta; onClose: () => void }) {
  const toast = useToast();
  const update = useUpdateField(meta.name);
  const settings = field.settings as { required_options?: string[] };
  const locked = new Set(settings.required_options ?? []);
  const [options, setOptions] = useState<OptionDraft[]>(() =>
    field.options.map((o) => ({ key: optionKey(), value: o.value, label: o.label, color: null, saved: true })),
  );
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const save = async () => {
    setErrors({});
    setFormError(null);
    try {
      await update.mutateAsync({ name: field.name, body: { options: options.map((o) => ({ value: o.value, label: o.label.trim() })) } });
      toast({ kind: "success", message: `Saved the options of “${field.label}”` });
      onClose();
    } catch (error) {
      if (error instanceof ApiError) {
        const byKey = errorsByKey(error.errors);
        setErrors(byKey);
        setFormError(Object.keys(byKey).some((key) => !key.startsWith("options")) || error.errors.length === 0 ? error.message : null);
      } else setFormError(errorMessage(error));
    }
  };

  return (
    <Dialog
      open
      onClose={onClose}
      title={`Options of “${field.label}”`}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" loading={update.isPending} onClick={() => void save()}>
            Save options
          </Button>
        </>
      }
    >
      <FormError message={formError} className="mb-3" />
      <OptionsEditor options={options} onChange={setOptions} errors={errors} colors={false} locked={locked} />
      {locked.size ? <p className="mt-2 text-xs text-muted">{[...locked].join(" and ")} cannot be removed: the product relies on them.</p> : null}
    </Dialog>
  );
}
