import { afterEach, describe, expect, it } from "vitest";
import { json } from "@/test/render";
import { authFetch, clearSession, hasSession, setTokens } from "./session";

function tokens(n: number) {
  return { access_token: `access-${n}`, refresh_token: `refresh-token-${n}-xxxxxxxx`, expires_in: 900, workspace_id: "w1" };
}

afterEach(() => clearSession());

describe("authFetch", () => {
  it("sends the access token and keeps it out of storage", async () => {
    setTokens(tokens(1));
    const seen: string[] = [];
    globalThis.fetch = (async (request: Request) => {
      seen.push(request.headers.get("authorization") ?? "");
      return json({ ok: true });
    }) as typeof fetch;
    await authFetch(new Request("http://localhost/api/v1/contacts"));
    expect(seen).toEqual(["Bearer access-1"]);
    expect(JSON.stringify(localStorage)).not.toContain("access-1");
    expect(localStorage.getItem("kronos.refresh")).toBe("refresh-token-1-xxxxxxxx");
  });

  it("refreshes once on a 401 (concurrent calls share it) and retries with the new token", async () => {
    setTokens(tokens(1));
    let refreshes = 0;
    globalThis.fetch = (async (input: Request | string, init?: RequestInit) => {
      const request = input instanceof Request ? input : new Request(input, init);
      if (request.url.endsWith("/api/v1/auth/refresh")) {
        refreshes++;
        expect(await request.json()).toEqual({ refresh_token: "refresh-token-1-xxxxxxxx" });
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
    expect(refreshes).toBe(1);
    expect(localStorage.getItem("kronos.refresh")).toBe("refresh-token-2-xxxxxxxx");
  });

  it("signs out when the refresh token is refused", async () => {
    setTokens(tokens(1));
    globalThis.fetch = (async (input: Request | string) => {
      const url = input instanceof Request ? input.url : input;
      return url.endsWith("/auth/refresh") ? json({ status: 401, code: "refresh_token_reused" }, 401) : json({ status: 401 }, 401);
    }) as typeof fetch;
    const answer = await authFetch(new Request("http://localhost/api/v1/contacts"));
    expect(answer.status).toBe(401);
    expect(hasSession()).toBe(false);
    expect(localStorage.getItem("kronos.refresh")).toBeNull();
  });
});
