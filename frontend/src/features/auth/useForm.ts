import { useState, type FormEvent } from "react";
import { ApiError, errorMessage } from "@/api/problem";

/** Submit state for a small form: field errors from the API's problem `errors[].path`, a form-level message. */
export function useSubmit<T>(fields: string[], action: () => Promise<T>) {
  const [pending, setPending] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [lastError, setLastError] = useState<unknown>(null);

  async function onSubmit(event: FormEvent): Promise<T | undefined> {
    event.preventDefault();
    setPending(true);
    setFieldErrors({});
    setFormError(null);
    setLastError(null);
    try {
      return await action();
    } catch (error) {
      setLastError(error);
      if (error instanceof ApiError) {
        setFieldErrors(error.byField());
        setFormError(error.formMessage(fields));
      } else {
        setFormError(errorMessage(error));
      }
      return undefined;
    } finally {
      setPending(false);
    }
  }

  return { pending, fieldErrors, formError, lastError, onSubmit, setFormError };
}
