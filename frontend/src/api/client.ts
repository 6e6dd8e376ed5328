/**
 * The typed API client, generated from the server's OpenAPI document (`npm run gen:api` rewrites
 * schema.d.ts). Every call goes through `authFetch` (bearer token, refresh on expiry).
 *
 *   const me = await call(api.GET("/api/v1/auth/me"));
 */
import createClient from "openapi-fetch";
import { authFetch } from "@/auth/session";
import { ApiError } from "./problem";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

export const api = createClient<paths>({
  baseUrl: typeof window !== "undefined" ? window.location.origin : "",
  fetch: (request: Request) => authFetch(request),
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
