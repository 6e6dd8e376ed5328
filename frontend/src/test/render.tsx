/** Render a component the way the app does (query client, auth, router, toasts) against a fake API. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, type RenderResult } from "@testing-library/react";
import type { ReactElement } from "react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { RateLimitToasts } from "@/app/RateLimitToasts";
import { AuthProvider } from "@/auth/AuthProvider";
import { RequireAuth } from "@/auth/RequireAuth";
import { clearSession, setTokens } from "@/auth/session";
import { ToastProvider } from "@/ui/Toast";

export type Handler = (request: Request) => Response | undefined | Promise<Response | undefined>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });
}

export const ME = {
  user: { id: "u1", email: "ada@example.com", full_name: "Ada Lovelace", two_factor_enabled: false },
  workspace: { id: "w1", name: "Analytical", time_zone: "UTC", default_currency: "EUR", locale: "en", fiscal_year_start_month: 1, created_at: "2026-01-01T00:00:00Z" },
  role: "owner",
  memberships: [{ workspace_id: "w1", workspace_name: "Analytical", role: "owner", last_signed_in_at: null }],
};

/** Replace fetch: each handler may answer a request; unanswered ones fail the test loudly. */
export function fakeApi(...handlers: Handler[]): Request[] {
  const seen: Request[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    seen.push(request.clone());
    for (const handler of handlers) {
      const answer = await handler(request);
      if (answer) return answer;
    }
    const url = new URL(request.url);
    if (url.pathname === "/api/v1/auth/me") return json(ME);
    if (url.pathname === "/api/v1/members") return json([]);
    if (url.pathname === "/api/v1/auth/first-sign-in") return json({ email: null, password_printed: false });
    throw new Error(`unexpected ${request.method} ${url.pathname}${url.search}`);
  }) as typeof fetch;
  return seen;
}

export function renderApp(element: ReactElement, { signedIn = true, path = "/" } = {}): RenderResult {
  if (signedIn) setTokens({ access_token: "access-1", refresh_token: null, expires_in: 900, workspace_id: "w1" });
  else clearSession();
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const routed = signedIn ? <RequireAuth>{element}</RequireAuth> : element;
  const router = createMemoryRouter(
    [
      { path: "*", element: routed },
      { path: "/signin", element: signedIn ? <p>signed out</p> : element },
    ],
    { initialEntries: [path] },
  );
  return render(
    <QueryClientProvider client={client}>
      <ToastProvider>
        <RateLimitToasts />
        <AuthProvider>
          <RouterProvider router={router} />
        </AuthProvider>
      </ToastProvider>
    </QueryClientProvider>,
  );
}
