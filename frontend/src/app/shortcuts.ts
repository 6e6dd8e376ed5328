/**
 * Keyboard shortcuts. Single keys (`/`, `?`, `j`) and two-key sequences (`g c`): a screen registers what it
 * handles while mounted with `useShortcuts`; typing in a field never triggers one (except Escape).
 */
import { useEffect, useRef } from "react";

export type ShortcutMap = Record<string, (event: KeyboardEvent) => void>;

export interface ShortcutHelp {
  keys: string;
  label: string;
}

/** What the "?" dialog lists. Screens that add shortcuts add a line here. */
export const SHORTCUT_HELP: ShortcutHelp[] = [
  { keys: "/", label: "Quick search in the current list" },
  { keys: "g c", label: "Go to contacts" },
  { keys: "g o", label: "Go to companies" },
  { keys: "g d", label: "Go to deals" },
  { keys: "g l", label: "Go to leads" },
  { keys: "g a", label: "Go to activities" },
  { keys: "g b", label: "Go to the deals board" },
  { keys: "j / k", label: "Next / previous row" },
  { keys: "Enter", label: "Open the selected row" },
  { keys: "x", label: "Select or unselect the row" },
  { keys: "n", label: "New record" },
  { keys: "t", label: "New task, from any screen" },
  { keys: "x / Space", label: "My tasks: complete or reopen the selected task" },
  { keys: "e", label: "My tasks: rename the selected task" },
  { keys: "?", label: "Show these shortcuts" },
];

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

export function useShortcuts(map: ShortcutMap, enabled = true): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    if (!enabled) return;
    let prefix: string | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey) return;
      if (typing(event.target) || document.querySelector("dialog[open]")) return;
      const key = event.key;
      // Enter on a focused button or link is that control's, not a shortcut.
      if (key === "Enter" && event.target instanceof HTMLElement && event.target.closest("button, a, [role=button]")) return;
      const handlers = ref.current;
      if (prefix) {
        const handler = handlers[`${prefix} ${key}`];
        prefix = null;
        clearTimeout(timer);
        if (handler) {
          event.preventDefault();
          handler(event);
        }
        return;
      }
      if (Object.keys(handlers).some((combo) => combo.startsWith(`${key} `))) {
        prefix = key;
        timer = setTimeout(() => (prefix = null), 1200);
        return;
      }
      const handler = handlers[key];
      if (handler) {
        event.preventDefault();
        handler(event);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      clearTimeout(timer);
    };
  }, [enabled]);
}
