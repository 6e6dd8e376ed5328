/** Building blocks shared by the settings sections: headers, cards, a confirm dialog, selects, copy fields. */
import { useId, useState, type ReactNode, type SelectHTMLAttributes } from "react";
import { errorMessage } from "@/api/problem";
import { Button } from "@/ui/Button";
import { cx } from "@/ui/cx";
import { Dialog } from "@/ui/Dialog";
import { FormError } from "@/ui/Field";
import { Icon } from "@/ui/Icon";
import { useToast } from "@/ui/Toast";

export function SectionHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="mb-6 flex flex-wrap items-start justify-between gap-3">
      <div className="min-w-0">
        <h1 className="text-lg font-semibold">{title}</h1>
        {description ? <p className="mt-0.5 text-sm text-muted">{description}</p> : null}
      </div>
      {actions ? <div className="flex shrink-0 gap-2">{actions}</div> : null}
    </header>
  );
}

export function Card({
  title,
  description,
  children,
  footer,
  className,
}: {
  title?: string;
  description?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  className?: string;
}) {
  const id = useId();
  return (
    <section aria-labelledby={title ? id : undefined} className={cx("k-card mb-6", className)}>
      {title ? (
        <div className="border-b border-line px-4 py-3 sm:px-5">
          <h2 id={id} className="text-base font-semibold">
            {title}
          </h2>
          {description ? <p className="mt-0.5 text-sm text-muted">{description}</p> : null}
        </div>
      ) : null}
      <div className="px-4 py-4 sm:px-5">{children}</div>
      {footer ? <div className="flex flex-wrap justify-end gap-2 border-t border-line px-4 py-3 sm:px-5">{footer}</div> : null}
    </section>
  );
}

/** Shown on sections an ordinary member may look at but not change. */
export function ReadOnlyNotice({ children }: { children?: ReactNode }) {
  return (
    <p className="mb-4 flex items-center gap-2 rounded-md border border-line bg-subtle px-3 py-2 text-sm text-muted">
      <Icon name="lock" size={14} className="shrink-0" />
      <span>{children ?? "Only workspace admins can change this."}</span>
    </p>
  );
}

/** A confirmation for a destructive action; the action's error is shown inside, and the dialog stays open. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setError(null);
    onClose();
  };
  const confirm = async () => {
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      close();
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setPending(false);
    }
  };
  return (
    <Dialog
      open={open}
      onClose={close}
      title={title}
      width="max-w-md"
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="danger" loading={pending} onClick={confirm}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      <FormError message={error} className="mb-3" />
      <div className="text-sm">{children}</div>
    </Dialog>
  );
}

export interface Option {
  value: string;
  label: string;
  disabled?: boolean;
}

export function SelectField({
  label,
  options,
  error,
  hint,
  className,
  id,
  ...props
}: SelectHTMLAttributes<HTMLSelectElement> & { label: string; options: Option[]; error?: string | null; hint?: ReactNode }) {
  const auto = useId();
  const selectId = id ?? auto;
  return (
    <div className={className}>
      <label htmlFor={selectId} className="k-label">
        {label}
      </label>
      <select
        id={selectId}
        className="k-input h-9"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${selectId}-error` : undefined}
        {...props}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value} disabled={o.disabled}>
            {o.label}
          </option>
        ))}
      </select>
      {error ? (
        <p id={`${selectId}-error`} role="alert" className="mt-1 text-xs text-danger">
          {error}
        </p>
      ) : hint ? (
        <p className="mt-1 text-xs text-muted">{hint}</p>
      ) : null}
    </div>
  );
}

/** A read-only value (a key, a secret, a link) with a Copy button. */
export function CopyField({ label, value, mono = true }: { label: string; value: string; mono?: boolean }) {
  const id = useId();
  const toast = useToast();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      toast({ kind: "success", message: `${label} copied` });
    } catch {
      toast({ kind: "error", message: "Could not copy", detail: "Select the text and copy it by hand." });
    }
  };
  return (
    <div>
      <label htmlFor={id} className="k-label">
        {label}
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          className={cx("k-input h-9 min-w-0 flex-1", mono && "font-mono text-xs")}
        />
        <Button onClick={copy} aria-label={`Copy ${label.toLowerCase()}`}>
          Copy
        </Button>
      </div>
    </div>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(iso: string | null | undefined, withTime = false): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  return (withTime ? dateTimeFormat : dateFormat).format(date);
}

/** A small badge ("You", "Built-in", "Revoked"). */
export function Badge({ children, tone = "neutral" }: { children: ReactNode; tone?: "neutral" | "accent" | "danger" | "success" | "warning" }) {
  const tones = {
    neutral: "bg-subtle text-muted",
    accent: "bg-accent-soft text-accent-text",
    danger: "bg-danger-soft text-danger",
    success: "bg-success-soft text-success",
    warning: "bg-warning-soft text-warning",
  };
  return <span className={cx("inline-flex items-center rounded px-1.5 py-0.5 text-xs font-medium whitespace-nowrap", tones[tone])}>{children}</span>;
}
