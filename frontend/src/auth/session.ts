/**
 * The web app's session, and the authenticated fetch every API call goes through.
 *
 * - Cookie mode. Every request the app sends says `X-Kronos-Session: cookie`, so the routes that issue tokens
 *   (sign-in, sign-up, refresh, switch, accepting an invitation) answer `refresh_token: null` and put the
 *   refresh token in the `kronos_refresh` cookie: HttpOnly (no script, so no injected script either, can read
 *   it), SameSite=Strict, Secure over HTTPS, sent only to /api/v1/auth. Refreshing sends no body: the browser
 *   adds the cookie, and the page copies the readable `kronos_csrf` cookie into `X-CSRF-Token` (double
 *   submit: another site can neither read that cookie nor send that header). API clients keep bearer tokens.
 * - The access token (15 minutes) lives in this module's memory only, never in any storage, so a page load
 *   restores the session with one refresh. Whether there is a session to restore is told by the `kronos_csrf`
 *   cookie, which the server sets and clears with the refresh cookie (on its own it proves nothing).
 * - localStorage holds nothing secret: the current workspace id, and while a refresh is in flight the time
 *   it started.
 * - Several tabs share the one cookie, refresh tokens rotate on every use, and the server ends the whole
 *   session when a used one is shown again. So refreshes are serialised across tabs with the Web Locks API;
 *   a tab that refreshes or signs in hands its tokens to the other tabs over a BroadcastChannel, and a tab
 *   that waited for the lock while another refreshed takes those instead of refreshing again. Sign-out and
 *   workspace switches travel the same way: one browser, one session, in every tab.
 * - A page that goes away while its refresh is in flight (a reload at the wrong moment): the request is sent
 *   with `keepalive`, so its answer, and the rotated cookie in it, still lands; and the next page, finding
 *   the "refresh started" mark that nobody cleared, waits for it (at most REFRESH_GRACE_MS) before sending
 *   the cookie itself. Without Web Locks (plain-HTTP deployments are not a secure context) the same mark
 *   keeps tabs from refreshing at once, best effort.
 */
export interface Tokens {
  access_token: string;
  /** Always null in cookie mode: the refresh token is in the HttpOnly cookie. */
  refresh_token?: string | null;
  expires_in: number;
  workspace_id: string;
}

/** What changed: signed in (from nothing), signed out, or another tab replaced the session (another
 *  workspace or account), so everything cached belongs to the old one. */
export type SessionChange = "signed-in" | "signed-out" | "replaced";

export const SESSION_HEADER = "x-kronos-session";
const CSRF_HEADER = "x-csrf-token";
const CSRF_COOKIE = "kronos_csrf";
const WORKSPACE_KEY = "kronos.workspace";
const PENDING_KEY = "kronos.refreshing";
const CHANNEL = "kronos-session";
const LOCK = "kronos-refresh";
const EARLY_REFRESH_MS = 30_000;
/** How long a refresh may take; past it, a refresh mark left by a page that went away is ignored. */
const REFRESH_GRACE_MS = 3_000;

interface Access {
  token: string;
  expiresAt: number;
  workspaceId: string;
}

type Message = { type: "tokens"; access: Access; signIn: boolean } | { type: "signed-out" };

let access: Access | null = null;
/** Bumped whenever tokens arrive (from this tab or another): a refresh that waited can tell. */
let generation = 0;
let refreshing: Promise<boolean> | null = null;
type Listener = (change: SessionChange) => void;
const listeners = new Set<Listener>();

const channel: BroadcastChannel | null = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel(CHANNEL) : null;

function notify(change: SessionChange): void {
  for (const listener of listeners) listener(change);
}

function broadcast(message: Message): void {
  try {
    channel?.postMessage(message);
  } catch {
    /* a closed channel: other tabs catch up on their next refresh */
  }
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function readCookie(name: string): string | null {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key !== name) continue;
    try {
      return decodeURIComponent(value.join("="));
    } catch {
      return value.join("=");
    }
  }
  return null;
}

/** Forget the cookie session on this side: the CSRF cookie is readable, so removable; the refresh cookie is
 *  not, and stays until the server clears it (at sign-out) or it expires, useless without the CSRF value. */
function dropCsrfCookie(): void {
  if (typeof document === "undefined" || readCookie(CSRF_COOKIE) === null) return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${CSRF_COOKIE}=; Max-Age=0; Path=/; SameSite=Strict${secure}`;
}

function usable(value: Access | null): value is Access {
  return value !== null && value.expiresAt - Date.now() > EARLY_REFRESH_MS;
}

/** A session to use or restore: an access token in memory, or the cookies a refresh needs. */
export function hasSession(): boolean {
  return access !== null || readCookie(CSRF_COOKIE) !== null;
}

export function currentWorkspaceId(): string | null {
  try {
    return access?.workspaceId ?? localStorage.getItem(WORKSPACE_KEY);
  } catch {
    return access?.workspaceId ?? null;
  }
}

function adopt(value: Access): void {
  access = value;
  generation++;
  try {
    localStorage.setItem(WORKSPACE_KEY, value.workspaceId);
  } catch {
    /* private mode */
  }
}

/** Keep tokens from sign-in, sign-up, an invitation or a switch (the refresh token, if an API-mode answer
 *  ever carries one, is dropped: the web app's refresh token lives in the cookie only). */
export function setTokens(tokens: Tokens): void {
  const value = {
    token: tokens.access_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
    workspaceId: tokens.workspace_id,
  };
  adopt(value);
  broadcast({ type: "tokens", access: value, signIn: true });
  notify("signed-in");
}

/** Sign out in this tab and every other one (the caller has asked the server to end the session, or the
 *  server said it has ended). */
export function clearSession(): void {
  const had = hasSession();
  access = null;
  generation++;
  dropCsrfCookie();
  broadcast({ type: "signed-out" });
  if (had) notify("signed-out");
}

function pendingSince(): number | null {
  try {
    const at = Number(localStorage.getItem(PENDING_KEY));
    const now = Date.now();
    return at > now - REFRESH_GRACE_MS && at <= now + 1000 ? at : null;
  } catch {
    return null;
  }
}

function markPending(on: boolean): void {
  try {
    if (on) localStorage.setItem(PENDING_KEY, String(Date.now()));
    else localStorage.removeItem(PENDING_KEY);
  } catch {
    /* private mode: no mark, no wait */
  }
}

/** Another page's refresh is (or may still be) in flight with the cookie this one would send: wait until
 *  its mark goes (a live tab clears it when its answer is in) or its grace runs out (a page that went away
 *  cannot clear it, but its `keepalive` request still lands the rotated cookie). */
function waitForOtherRefresh(): Promise<void> {
  const since = pendingSince();
  if (since === null || typeof window === "undefined") return Promise.resolve();
  return new Promise((done) => {
    const finish = (): void => {
      clearTimeout(timer);
      window.removeEventListener("storage", onStorage);
      done();
    };
    const onStorage = (event: StorageEvent): void => {
      if (event.key === PENDING_KEY && event.newValue === null) finish();
    };
    const timer = setTimeout(finish, since + REFRESH_GRACE_MS - Date.now());
    window.addEventListener("storage", onStorage);
  });
}

async function refreshOnce(): Promise<boolean> {
  const csrf = readCookie(CSRF_COOKIE);
  if (csrf === null) {
    if (access) clearSession(); // the cookies went (cleared, or signed out elsewhere)
    return false;
  }
  const seen = generation;
  markPending(true);
  let response: Response;
  try {
    response = await fetch(new URL("/api/v1/auth/refresh", window.location.origin).toString(), {
      method: "POST",
      headers: { [SESSION_HEADER]: "cookie", [CSRF_HEADER]: csrf },
      credentials: "same-origin",
      // The answer sets the rotated cookie: it must land even if this page goes away meanwhile.
      keepalive: true,
    });
  } catch {
    markPending(false);
    return false; // offline: keep the session, try again later
  }
  try {
    if (response.ok) {
      const tokens = (await response.json()) as Tokens;
      const value = { token: tokens.access_token, expiresAt: Date.now() + tokens.expires_in * 1000, workspaceId: tokens.workspace_id };
      const before = access;
      adopt(value);
      broadcast({ type: "tokens", access: value, signIn: false });
      if (!before) notify("signed-in");
      else if (before.workspaceId !== value.workspaceId) notify("replaced");
      return true;
    }
    // Ended, reused, revoked (401), no cookie (422) or a CSRF value that does not match it (403): signed out,
    // unless another tab signed in meanwhile (its cookie is the one that counts now).
    if ([401, 403, 422].includes(response.status) && generation === seen) clearSession();
    return false;
  } finally {
    markPending(false);
  }
}

/** New tokens from the refresh cookie; concurrent callers (and tabs) share one round trip. */
export function refreshTokens(): Promise<boolean> {
  if (refreshing) return refreshing;
  const seen = generation;
  const run = async (): Promise<boolean> => {
    await waitForOtherRefresh();
    // Another tab refreshed or signed in while this one waited: its tokens came over the channel.
    if (generation !== seen && usable(access)) return true;
    return refreshOnce();
  };
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  // lib.dom types the answer as Promise<T> of the callback's own (promised) result; it resolves to the boolean.
  const task: Promise<boolean> = locks ? (locks.request(LOCK, run) as unknown as Promise<boolean>) : run();
  const shared = task.finally(() => {
    refreshing = null;
  });
  refreshing = shared;
  return shared;
}

/** Routes that take no bearer token (sign-in and the like); a 401 from them is an answer, not an expiry. */
export function isPublicAuthCall(url: string): boolean {
  return /\/api\/v1\/auth\/(login|signup|refresh|first-sign-in|password\/(forgot|reset))$|\/api\/v1\/invitations\/accept$/.test(
    new URL(url, "http://x").pathname,
  );
}

/** fetch in cookie mode, with the bearer token; refreshes ahead of expiry and once more on a 401. */
export async function authFetch(request: Request): Promise<Response> {
  request.headers.set(SESSION_HEADER, "cookie");
  if (isPublicAuthCall(request.url)) return fetch(request);
  if (!usable(access) && readCookie(CSRF_COOKIE) !== null) await refreshTokens();
  const retry = request.clone();
  const sent = access;
  const send = (req: Request, bearer: Access | null): Promise<Response> => {
    if (bearer) req.headers.set("authorization", `Bearer ${bearer.token}`);
    return fetch(req);
  };
  const response = await send(request, sent);
  if (response.status !== 401) return response;
  // Another tab replaced the session while this request was out: try again with its token.
  if (access && access !== sent) return send(retry, access);
  if (readCookie(CSRF_COOKIE) !== null && (await refreshTokens()) && access) return send(retry, access);
  if (hasSession()) clearSession();
  return response;
}

/** The access token, for the rare caller outside the API client (e.g. a file download link). */
export function accessToken(): string | null {
  return access?.token ?? null;
}

// Other tabs: take their tokens (one cookie, one session), and follow their sign-outs.
if (channel) {
  channel.onmessage = (event: MessageEvent<Message | null>) => {
    const message = event.data;
    if (message?.type === "tokens" && typeof message.access?.token === "string") {
      const before = access;
      adopt(message.access);
      if (!before) notify("signed-in");
      else if (message.signIn || before.workspaceId !== message.access.workspaceId) notify("replaced");
    } else if (message?.type === "signed-out") {
      access = null;
      generation++;
      notify("signed-out");
    }
  };
}
