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

/** "in 40 seconds", "in 15 minutes", "in 2 hours". */
export function waitText(seconds: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (seconds < 90) return `in ${unit(Math.max(1, Math.ceil(seconds)), "second")}`;
  if (seconds < 90 * 60) return `in ${unit(Math.ceil(seconds / 60), "minute")}`;
  return `in ${unit(Math.ceil(seconds / 3600), "hour")}`;
}

/** Seconds to wait after a 429: the problem's `retry_after`, else the Retry-After header (seconds). */
export function retryAfterOf(response: Response | null, problem: Problem | null): number | null {
  const fromBody = problem?.retry_after;
  if (typeof fromBody === "number" && Number.isFinite(fromBody) && fromBody >= 0) return fromBody;
  const header = response?.headers.get("retry-after");
  return header && /^\d+$/.test(header.trim()) ? Number(header) : null;
}

/** What a 429 tells the user: who is limited, and when to try again. */
export function tooManyMessage(code: string, retryAfter: number | null): string {
  const when = retryAfter === null ? "Try again later." : `Try again ${waitText(retryAfter)}.`;
  return code === "too_many_attempts" ? `Too many failed attempts. ${when}` : `Too many requests. ${when}`;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[];
  readonly requestId: string | null;
  readonly problem: Problem | null;
  /** Seconds until a rate-limited (429) request may be tried again, when the server said. */
  readonly retryAfter: number | null;

  constructor(status: number, message: string, problem: Problem | null = null, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.code = problem?.code ?? (status === 0 ? "network_error" : `http_${status}`);
    this.errors = problem?.errors ?? [];
    this.requestId = problem?.request_id ?? null;
    this.retryAfter = retryAfter;
  }

  static from(response: Response, body: unknown): ApiError {
    const problem = isProblem(body) ? body : null;
    if (response.status === 429) {
      const retryAfter = retryAfterOf(response, problem);
      return new ApiError(429, tooManyMessage(problem?.code ?? "rate_limited", retryAfter), problem, retryAfter);
    }
    if (problem) {
      return new ApiError(response.status, problem.detail || problem.title || `Request failed (${response.status})`, problem);
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
