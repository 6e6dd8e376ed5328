import { forwardRef, useId, type InputHTMLAttributes, type ReactNode } from "react";
import { cx } from "./cx";

/** A labelled form input with its validation message (from the API's problem `errors[].path`). */
export const TextField = forwardRef<
  HTMLInputElement,
  InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string | null; hint?: ReactNode }
>(function TextField({ label, error, hint, className, id, ...props }, ref) {
  const auto = useId();
  const inputId = id ?? auto;
  return (
    <div className={className}>
      <label htmlFor={inputId} className="k-label">
        {label}
      </label>
      <input
        ref={ref}
        id={inputId}
        className="k-input h-9"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${inputId}-error` : undefined}
        {...props}
      />
      {error ? (
        <p id={`${inputId}-error`} role="alert" className="mt-1 text-xs text-danger">
          {error}
        </p>
      ) : hint ? (
        <p className="mt-1 text-xs text-muted">{hint}</p>
      ) : null}
    </div>
  );
});

export function FormError({ message, className }: { message: string | null | undefined; className?: string }) {
  if (!message) return null;
  return (
    <div role="alert" className={cx("rounded-md border border-danger/30 bg-danger-soft px-3 py-2 text-sm text-danger", className)}>
      {message}
    </div>
  );
}
