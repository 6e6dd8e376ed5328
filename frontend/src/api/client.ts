/**
 * The typed API client, generated from the server's OpenAPI document (`npm run gen:api` rewrites
 * schema.d.ts). Every call goes through `authFetch` (cookie session mode, bearer token, refresh on expiry).
 *
 *   const me = await call(api.GET("/api/v1/auth/me"));
 */
import createClient from "openapi-fetch";
import { authFetch, isPublicAuthCall } from "@/auth/session";
import { ApiError, retryAfterOf, type Problem } from "./problem";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

type RateLimitListener = (retryAfter: number | null) => void;
const rateLimitListeners = new Set<RateLimitListener>();

/** The API's rate limit (429 `rate_limited`) stopped a request: `RateLimitToasts` says so once, whatever
 *  screen made it. The sign-in forms show their own 429s (`too_many_attempts` too) beside the form. */
export function onRateLimited(listener: RateLimitListener): () => void {
  rateLimitListeners.add(listener);
  return () => rateLimitListeners.delete(listener);
}

async function reportRateLimit(request: Request, response: Response): Promise<void> {
  if (response.status !== 429 || isPublicAuthCall(request.url) || rateLimitListeners.size === 0) return;
  let problem: Problem | null = null;
  try {
    problem = (await response.clone().json()) as Problem;
  } catch {
    /* not a problem document: still a 429 */
  }
  if (problem?.code && problem.code !== "rate_limited") return;
  const retryAfter = retryAfterOf(response, problem);
  for (const listener of rateLimitListeners) listener(retryAfter);
}

export const api = createClient<paths>({
  baseUrl: typeof window !== "undefined" ? window.location.origin : "",
  fetch: async (request: Request) => {
    const response = await authFetch(request);
    await reportRateLimit(request, response);
    return response;
  },
});

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Await an openapi-fetch call: its data, or an ApiError carrying the RFC 9457 problem. */
export async function call<T>(pending: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await pending;
  } catch {
    throw new ApiError(0, "The server cannot be reached. Check your connection and try again.", null);
  }
  if (!answer.response.ok) throw ApiError.from(answer.response, answer.error);
  return answer.data as T;
}
