import { useCallback, useSyncExternalStore } from "react";

/** Whether a CSS media query matches now (follows resizes and rotations); false where matchMedia is missing. */
export function useMediaQuery(query: string): boolean {
  const subscribe = useCallback(
    (listener: () => void) => {
      const media = window.matchMedia?.(query);
      media?.addEventListener("change", listener);
      return () => media?.removeEventListener("change", listener);
    },
    [query],
  );
  return useSyncExternalStore(subscribe, () => window.matchMedia?.(query).matches ?? false, () => false);
}

/** Below Tailwind's `sm` breakpoint (640 px): phones, where lists are cards instead of a grid. */
export const NARROW = "(max-width: 639.98px)";
