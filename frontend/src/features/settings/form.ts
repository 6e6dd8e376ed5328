/**
 * Form submission for the settings screens: the API's errors placed beside the fields they concern.
 *
 * Validation errors name their field (`errors[].path`, via ApiError.byField()). Some refusals are about one
 * field but carry no path (a wrong 2FA code, a taken role key, an address that is already a member): the
 * form maps those problem codes to a field too. Whatever names no field of the form is shown above it.
 */
import { useState, type FormEvent } from "react";
import { ApiError, errorMessage } from "@/api/problem";

export interface PlacedErrors {
  fieldErrors: Record<string, string>;
  formError: string | null;
}

/** A check made before calling the API (passwords that differ), thrown so it is shown like the API's. */
export function localFieldError(field: string, message: string): ApiError {
  return new ApiError(422, message, { status: 422, errors: [{ path: `body.${field}`, message, type: "local" }] });
}

export function placeError(error: unknown, fields: readonly string[], codeFields: Record<string, string> = {}): PlacedErrors {
  if (!(error instanceof ApiError)) return { fieldErrors: {}, formError: errorMessage(error) };
  const fieldErrors = error.byField();
  const byCode = codeFields[error.code];
  if (byCode && fields.includes(byCode) && !(byCode in fieldErrors)) fieldErrors[byCode] = error.message;
  const placed = Object.keys(fieldErrors).filter((name) => fields.includes(name));
  const unplaced = Object.keys(fieldErrors).length > placed.length;
  const formError = placed.length === 0 || unplaced ? formMessage(error) : null;
  return { fieldErrors, formError };
}

/** A refusal in words: a 403 says that the user's role does not allow it, not just "Forbidden". */
function formMessage(error: ApiError): string {
  if (error.status === 403 && !/admin|role|owner|permission|allow/i.test(error.message)) {
    return `You do not have permission to do this. ${error.message}`;
  }
  return error.message;
}

export function useSettingsForm<T>(
  fields: readonly string[],
  action: () => Promise<T>,
  codeFields: Record<string, string> = {},
) {
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<PlacedErrors>({ fieldErrors: {}, formError: null });

  async function onSubmit(event?: FormEvent): Promise<T | undefined> {
    event?.preventDefault();
    setPending(true);
    setErrors({ fieldErrors: {}, formError: null });
    try {
      return await action();
    } catch (error) {
      setErrors(placeError(error, fields, codeFields));
      return undefined;
    } finally {
      setPending(false);
    }
  }

  return {
    pending,
    fieldErrors: errors.fieldErrors,
    formError: errors.formError,
    onSubmit,
    reset: () => setErrors({ fieldErrors: {}, formError: null }),
  };
}
