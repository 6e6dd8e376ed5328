import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json } from "@/test/render";
import { accessToken, authFetch, clearSession, hasSession, onSessionChange, refreshTokens, setTokens, type SessionChange } from "./session";

function tokens(n: number) {
  return { access_token: `access-${n}`, refresh_token: null, expires_in: 900, workspace_id: "w1" };
}

/** What the server's cookie-mode answers leave in the browser: the readable CSRF cookie (the refresh cookie
 *  is HttpOnly, so the page never sees it). */
function csrfCookie(value = "csrf-1"): void {
  document.cookie = `kronos_csrf=${value}; Path=/`;
}

function requestOf(input: Request | string, init?: RequestInit): Request {
  return input instanceof Request ? input : new Request(input, init);
}

/** Another tab of the same browser. */
let otherTab: BroadcastChannel;

beforeEach(() => {
  otherTab = new BroadcastChannel("kronos-session");
});

afterEach(() => {
  otherTab.close();
  clearSession();
  localStorage.clear();
  vi.unstubAllGlobals();
});

describe("authFetch", () => {
  it("sends the access token, asks for cookie mode, and keeps every token out of storage", async () => {
    csrfCookie();
    setTokens(tokens(1));
    const seen: Request[] = [];
    globalThis.fetch = (async (request: Request) => {
      seen.push(request);
      return json({ ok: true });
    }) as typeof fetch;
    await authFetch(new Request("http://localhost/api/v1/contacts"));
    await authFetch(new Request("http://localhost/api/v1/auth/login", { method: "POST", body: "{}" }));
    expect(seen.map((r) => r.headers.get("authorization"))).toEqual(["Bearer access-1", null]);
    expect(seen.map((r) => r.headers.get("x-kronos-session"))).toEqual(["cookie", "cookie"]);
    expect(JSON.stringify(localStorage) + JSON.stringify(sessionStorage)).not.toContain("access-1");
    expect(localStorage.getItem("kronos.workspace")).toBe("w1");
  });

  it("refreshes with the cookie on a 401 (no body, the CSRF header), once for concurrent calls, and retries", async () => {
    csrfCookie("csrf-xyz");
    setTokens(tokens(1));
    const refreshes: Request[] = [];
    globalThis.fetch = (async (input: Request | string, init?: RequestInit) => {
      const request = requestOf(input, init);
      if (request.url.endsWith("/api/v1/auth/refresh")) {
        refreshes.push(request);
        await new Promise((r) => setTimeout(r, 10));
        return json(tokens(2));
      }
      return request.headers.get("authorization") === "Bearer access-2" ? json({ ok: true }) : json({ status: 401, code: "invalid_token" }, 401);
    }) as typeof fetch;
    const answers = await Promise.all([
      authFetch(new Request("http://localhost/api/v1/contacts")),
      authFetch(new Request("http://localhost/api/v1/companies")),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(refreshes).toHaveLength(1);
    const refresh = refreshes[0]!;
    expect(refresh.method).toBe("POST");
    expect(await refresh.text()).toBe("");
    expect(refresh.headers.get("x-csrf-token")).toBe("csrf-xyz");
    expect(refresh.headers.get("x-kronos-session")).toBe("cookie");
    expect(accessToken()).toBe("access-2");
    expect(localStorage.getItem("kronos.refreshing")).toBeNull();
  });

  it("restores the session on page load from the cookie alone, before the first call", async () => {
    clearSession();
    csrfCookie();
    expect(hasSession()).toBe(true);
    expect(accessToken()).toBeNull();
    const order: string[] = [];
    globalThis.fetch = (async (input: Request | string, init?: RequestInit) => {
      const request = requestOf(input, init);
      order.push(`${new URL(request.url).pathname} ${request.headers.get("authorization") ?? "-"}`);
      return request.url.endsWith("/auth/refresh") ? json(tokens(3)) : json({ ok: true });
    }) as typeof fetch;
    const answer = await authFetch(new Request("http://localhost/api/v1/auth/me"));
    expect(answer.status).toBe(200);
    expect(order).toEqual(["/api/v1/auth/refresh -", "/api/v1/auth/me Bearer access-3"]);
  });

  it("without the cookies there is no session and no refresh is tried", async () => {
    clearSession();
    expect(hasSession()).toBe(false);
    const paths: string[] = [];
    globalThis.fetch = (async (input: Request | string, init?: RequestInit) => {
      paths.push(new URL(requestOf(input, init).url).pathname);
      return json({ status: 401, code: "unauthorized" }, 401);
    }) as typeof fetch;
    expect(await refreshTokens()).toBe(false);
    expect((await authFetch(new Request("http://localhost/api/v1/auth/me"))).status).toBe(401);
    expect(paths).toEqual(["/api/v1/auth/me"]);
  });

  it("signs out (and forgets the CSRF cookie) when the refresh cookie is refused", async () => {
    csrfCookie();
    setTokens(tokens(1));
    const changes: SessionChange[] = [];
    const stop = onSessionChange((change) => changes.push(change));
    globalThis.fetch = (async (input: Request | string, init?: RequestInit) => {
      const url = requestOf(input, init).url;
      return url.endsWith("/auth/refresh") ? json({ status: 401, code: "refresh_token_reused" }, 401) : json({ status: 401 }, 401);
    }) as typeof fetch;
    const answer = await authFetch(new Request("http://localhost/api/v1/contacts"));
    stop();
    expect(answer.status).toBe(401);
    expect(hasSession()).toBe(false);
    expect(document.cookie).not.toContain("kronos_csrf");
    expect(changes).toContain("signed-out");
  });
});

describe("several tabs", () => {
  it("a tab that waited for the refresh lock takes the tokens another tab got, and does not refresh again", async () => {
    // A Web Locks stand-in: one holder at a time, the others queue.
    let release!: () => void;
    let held: Promise<void> = new Promise((r) => (release = r));
    vi.stubGlobal("navigator", {
      ...navigator,
      locks: {
        request: async (_name: string, callback: () => Promise<unknown>) => {
          const before = held;
          let done!: () => void;
          held = new Promise((r) => (done = r));
          await before;
          try {
            return await callback();
          } finally {
            done();
          }
        },
      },
    });
    csrfCookie();
    let refreshes = 0;
    globalThis.fetch = (async (input: Request | string, init?: RequestInit) => {
      const request = requestOf(input, init);
      if (request.url.endsWith("/auth/refresh")) {
        refreshes++;
        return json(tokens(9));
      }
      return json({ auth: request.headers.get("authorization") });
    }) as typeof fetch;
    // The other tab holds the lock (it is refreshing); this tab's first call waits for it.
    const pending = authFetch(new Request("http://localhost/api/v1/contacts"));
    otherTab.postMessage({ type: "tokens", access: { token: "access-other", expiresAt: Date.now() + 900_000, workspaceId: "w1" }, signIn: false });
    await vi.waitFor(() => expect(accessToken()).toBe("access-other"));
    release();
    const answer = await pending;
    expect(await answer.json()).toEqual({ auth: "Bearer access-other" });
    expect(refreshes).toBe(0);
  });

  it("waits for a refresh another page left in flight before sending the cookie again", async () => {
    csrfCookie();
    localStorage.setItem("kronos.refreshing", String(Date.now()));
    let refreshes = 0;
    globalThis.fetch = (async () => {
      refreshes++;
      return json(tokens(4));
    }) as typeof fetch;
    const done = refreshTokens();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(refreshes).toBe(0);
    // The other tab's answer is in: it clears its mark.
    localStorage.removeItem("kronos.refreshing");
    window.dispatchEvent(new StorageEvent("storage", { key: "kronos.refreshing", oldValue: "1", newValue: null }));
    expect(await done).toBe(true);
    expect(refreshes).toBe(1);
    expect(accessToken()).toBe("access-4");
  });

  it("follows another tab's sign-out and its switch to another workspace", async () => {
    csrfCookie();
    setTokens(tokens(1));
    const changes: SessionChange[] = [];
    const stop = onSessionChange((change) => changes.push(change));
    otherTab.postMessage({ type: "tokens", access: { token: "access-w2", expiresAt: Date.now() + 900_000, workspaceId: "w2" }, signIn: true });
    await vi.waitFor(() => expect(changes).toEqual(["replaced"]));
    expect(accessToken()).toBe("access-w2");
    otherTab.postMessage({ type: "signed-out" });
    await vi.waitFor(() => expect(changes).toEqual(["replaced", "signed-out"]));
    stop();
    expect(accessToken()).toBeNull();
  });

  it("tells the other tabs about its sign-in, without any refresh token", async () => {
    const heard: unknown[] = [];
    otherTab.onmessage = (event: MessageEvent) => heard.push(event.data);
    setTokens(tokens(5));
    await vi.waitFor(() => expect(heard).toHaveLength(1));
    expect(heard[0]).toMatchObject({ type: "tokens", signIn: true, access: { token: "access-5", workspaceId: "w1" } });
    expect(JSON.stringify(heard)).not.toContain("refresh");
  });
});
