import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, call, type Schemas } from "@/api/client";
import { ApiError } from "@/api/problem";
import { clearSession, hasSession, onSessionChange, setTokens, type Tokens } from "./session";

export type Me = Schemas["Me"];

interface AuthState {
  status: "loading" | "signed-in" | "signed-out";
  me: Me | undefined;
  /** Store tokens from sign-in, sign-up, invitation or switch, and load the new session. */
  signIn: (tokens: Tokens) => Promise<void>;
  signOut: () => Promise<void>;
  switchWorkspace: (workspaceId: string) => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [session, setSession] = useState(hasSession());
  useEffect(
    () =>
      onSessionChange((change) => {
        setSession(change !== "signed-out");
        // Another tab switched workspace or signed in as someone else: this tab follows (one cookie, one
        // session), and nothing cached from the old session may show.
        if (change === "replaced") void client.resetQueries();
      }),
    [client],
  );

  const me = useQuery({
    queryKey: ["me"],
    queryFn: () => call(api.GET("/api/v1/auth/me")),
    enabled: session,
    staleTime: 5 * 60_000,
    retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
  });

  useEffect(() => {
    if (me.error instanceof ApiError && me.error.status === 401) clearSession();
  }, [me.error]);

  // A signed-out session must not leave another user's data in the cache.
  useEffect(() => {
    if (!session) client.clear();
  }, [session, client]);

  const signIn = useCallback(
    async (tokens: Tokens) => {
      setTokens(tokens);
      setSession(true);
      // Nothing read in the old session (another workspace, another account) may show in the new one. Reset,
      // not clear: mounted queries keep their observers, so they load again (clear() left a workspace switch
      // showing the old workspace's `me`).
      await client.resetQueries();
      await client.fetchQuery({ queryKey: ["me"], queryFn: () => call(api.GET("/api/v1/auth/me")), staleTime: 60_000 });
    },
    [client],
  );

  const signOut = useCallback(async () => {
    try {
      await call(api.POST("/api/v1/auth/logout"));
    } catch {
      /* the session may already be gone; sign out locally either way */
    }
    clearSession();
    setSession(false);
    client.clear();
  }, [client]);

  const switchWorkspace = useCallback(
    async (workspaceId: string) => {
      const tokens = await call(api.POST("/api/v1/auth/switch", { body: { workspace_id: workspaceId } }));
      await signIn(tokens);
    },
    [signIn],
  );

  const value = useMemo<AuthState>(() => {
    const status = !session ? "signed-out" : me.data ? "signed-in" : me.error ? "signed-out" : "loading";
    return { status, me: me.data, signIn, signOut, switchWorkspace };
  }, [session, me.data, me.error, signIn, signOut, switchWorkspace]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

/** The signed-in user's session; only call below RequireAuth. */
export function useMe(): Me {
  const { me } = useAuth();
  if (!me) throw new Error("useMe outside a signed-in route");
  return me;
}
