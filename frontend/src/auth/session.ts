/**
 * Tokens and the authenticated fetch every API call goes through.
 *
 * - The refresh token keeps a user signed in across reloads and tabs. The API takes it in the JSON body of
 *   POST /api/v1/auth/refresh and offers no HttpOnly cookie, so the page has to hold it: it is kept in
 *   localStorage (sessionStorage would sign people out of every new tab). What limits the risk: the CSP
 *   allows no inline or third-party script, refresh tokens rotate on every use, and the server revokes a
 *   whole session when a used one is shown again (so a stolen copy dies the moment either side uses it).
 *   If the API gains an HttpOnly refresh cookie, only `readRefreshToken`/`writeRefreshToken` change.
 * - The access token (15 minutes) lives in memory, mirrored in this tab's sessionStorage. Why the mirror:
 *   without it every reload spends the refresh token, and a reload that lands while that refresh is in
 *   flight (the server rotated, the page never stored the successor) replays the old token, which the
 *   server treats as theft and ends the session. With it, a reload reuses the access token and refreshes
 *   happen once per 15 minutes. It adds no exposure: the refresh token beside it in localStorage is the
 *   stronger credential. (A short reuse grace window on the server would close the race for good.)
 * - Rotation and several tabs: two tabs refreshing with the same token would trip reuse detection and sign
 *   both out. Refreshes are serialised across tabs with the Web Locks API and each one re-reads the newest
 *   token inside the lock.
 */
export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  workspace_id: string;
}

const REFRESH_KEY = "kronos.refresh";
const WORKSPACE_KEY = "kronos.workspace";
const EARLY_REFRESH_MS = 30_000;

interface Access {
  token: string;
  expiresAt: number;
  workspaceId: string;
}

const ACCESS_KEY = "kronos.access";

function readAccess(): Access | null {
  try {
    const raw = sessionStorage.getItem(ACCESS_KEY);
    const value = raw ? (JSON.parse(raw) as Access) : null;
    return value && value.expiresAt > Date.now() && localStorage.getItem(REFRESH_KEY) ? value : null;
  } catch {
    return null;
  }
}

function writeAccess(value: Access | null): void {
  try {
    if (value) sessionStorage.setItem(ACCESS_KEY, JSON.stringify(value));
    else sessionStorage.removeItem(ACCESS_KEY);
  } catch {
    /* ignore */
  }
}

let access: Access | null = typeof window !== "undefined" ? readAccess() : null;
let refreshing: Promise<boolean> | null = null;
type Listener = (signedIn: boolean) => void;
const listeners = new Set<Listener>();

function readRefreshToken(): string | null {
  try {
    return localStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}

function writeRefreshToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(REFRESH_KEY, token);
    else localStorage.removeItem(REFRESH_KEY);
  } catch {
    /* private mode: the session lasts as long as the tab */
  }
}

function notify(signedIn: boolean): void {
  for (const listener of listeners) listener(signedIn);
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function hasSession(): boolean {
  return access !== null || readRefreshToken() !== null;
}

export function currentWorkspaceId(): string | null {
  return access?.workspaceId ?? localStorage.getItem(WORKSPACE_KEY);
}

export function setTokens(tokens: Tokens): void {
  access = {
    token: tokens.access_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
    workspaceId: tokens.workspace_id,
  };
  writeAccess(access);
  writeRefreshToken(tokens.refresh_token);
  try {
    localStorage.setItem(WORKSPACE_KEY, tokens.workspace_id);
  } catch {
    /* ignore */
  }
  notify(true);
}

export function clearSession(): void {
  const had = hasSession();
  access = null;
  writeAccess(null);
  writeRefreshToken(null);
  if (had) notify(false);
}

async function refreshOnce(): Promise<boolean> {
  const token = readRefreshToken();
  if (!token) {
    access = null;
    writeAccess(null);
    return false;
  }
  let response: Response;
  try {
    response = await fetch(new URL("/api/v1/auth/refresh", window.location.origin).toString(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: token }),
    });
  } catch {
    return false; // offline: keep the refresh token, try again later
  }
  if (response.ok) {
    setTokens((await response.json()) as Tokens);
    return true;
  }
  if (response.status === 401 || response.status === 422) {
    // Expired, revoked or reused: only sign out if no other tab rotated it meanwhile.
    if (readRefreshToken() === token) clearSession();
  }
  return false;
}

/** Trade the refresh token for new tokens; concurrent callers (and tabs) share one round trip. */
export function refreshTokens(): Promise<boolean> {
  if (refreshing) return refreshing;
  {
    // Inside the lock, refreshOnce reads the newest refresh token: another tab may have rotated it.
    const run = (): Promise<boolean> => refreshOnce();
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    const task: Promise<boolean> = locks ? (locks.request("kronos-refresh", run) as unknown as Promise<boolean>) : run();
    const shared = task.finally(() => {
      refreshing = null;
    });
    refreshing = shared;
    return shared;
  }
}

function isPublicAuthCall(url: string): boolean {
  return /\/api\/v1\/auth\/(login|signup|refresh|password\/(forgot|reset))$|\/api\/v1\/invitations\/accept$/.test(
    new URL(url, "http://x").pathname,
  );
}

/** fetch with the bearer token; refreshes ahead of expiry and once more on a 401. */
export async function authFetch(request: Request): Promise<Response> {
  if (isPublicAuthCall(request.url)) return fetch(request);
  if ((!access || access.expiresAt - Date.now() < EARLY_REFRESH_MS) && readRefreshToken()) {
    await refreshTokens();
  }
  const retry = request.clone();
  const send = (req: Request): Promise<Response> => {
    if (access) req.headers.set("authorization", `Bearer ${access.token}`);
    return fetch(req);
  };
  const response = await send(request);
  if (response.status !== 401 || !readRefreshToken()) {
    if (response.status === 401) clearSession();
    return response;
  }
  if (await refreshTokens()) return send(retry);
  clearSession();
  return response;
}

/** The access token, for the rare caller outside the API client (e.g. a file download link). */
export function accessToken(): string | null {
  return access?.token ?? null;
}

// Another tab signed out (or in): follow it.
if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key !== REFRESH_KEY) return;
    if (event.newValue === null && access) {
      access = null;
      writeAccess(null);
      notify(false);
    }
  });
}
