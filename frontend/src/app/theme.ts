import { useCallback, useEffect, useSyncExternalStore } from "react";

export type ThemeChoice = "light" | "dark" | "system";
const KEY = "kronos.theme";

function resolve(choice: ThemeChoice): "light" | "dark" {
  if (choice !== "system") return choice;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function read(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

// One choice for the whole page: every useTheme() (the sidebar's toggle, the profile settings) reads and
// writes this store, so changing it in one place updates the others.
let current: ThemeChoice = read();
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const media = window.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener("change", listener);
  return () => {
    listeners.delete(listener);
    media?.removeEventListener("change", listener);
  };
}

function store(next: ThemeChoice): void {
  try {
    if (next === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, next);
  } catch {
    /* private mode: the choice lasts for this page */
  }
  current = next;
  for (const listener of listeners) listener();
}

/** Light, dark or the system's; /theme.js applied it before the first paint, this keeps it in sync. */
export function useTheme(): { choice: ThemeChoice; resolved: "light" | "dark"; setChoice: (c: ThemeChoice) => void; cycle: () => void } {
  const choice = useSyncExternalStore(subscribe, () => current);
  // The system's preference can change while "system" is chosen: subscribe() also listens to it.
  const resolved = useSyncExternalStore(subscribe, () => resolve(current));

  useEffect(() => {
    document.documentElement.dataset.theme = resolved;
  }, [resolved]);

  const setChoice = useCallback((next: ThemeChoice) => store(next), []);
  const cycle = useCallback(() => {
    store(current === "light" ? "dark" : current === "dark" ? "system" : "light");
  }, []);

  return { choice, resolved, setChoice, cycle };
}
