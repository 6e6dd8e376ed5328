/** RFC 9457 problems as the API sends them, turned into one error type the UI can show. */
export interface FieldError {
  path: string;
  message: string;
  type: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string | null;
  code?: string;
  request_id?: string | null;
  errors?: FieldError[] | null;
  [key: string]: unknown;
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && "status" in body;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[];
  readonly requestId: string | null;
  readonly problem: Problem | null;

  constructor(status: number, message: string, problem: Problem | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.code = problem?.code ?? (status === 0 ? "network_error" : `http_${status}`);
    this.errors = problem?.errors ?? [];
    this.requestId = problem?.request_id ?? null;
  }

  static from(response: Response, body: unknown): ApiError {
    if (isProblem(body)) {
      return new ApiError(response.status, body.detail || body.title || `Request failed (${response.status})`, body);
    }
    return new ApiError(response.status, `Request failed (${response.status} ${response.statusText})`);
  }

  /** Field errors keyed by field name: `body.name` -> `name`, `body.emails.0` -> `emails`. */
  byField(prefix = "body"): Record<string, string> {
    const out: Record<string, string> = {};
    for (const error of this.errors) {
      const parts = error.path.split(".");
      const name = parts[0] === prefix ? parts[1] : parts[0];
      if (name && !(name in out)) out[name] = error.message;
    }
    return out;
  }

  /** Errors that name no field of the form (shown above it). */
  formMessage(known: Iterable<string>): string | null {
    const fields = new Set(known);
    const byField = this.byField();
    const unplaced = Object.keys(byField).filter((name) => !fields.has(name));
    if (this.errors.length === 0 || unplaced.length > 0) return this.message;
    return null;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
