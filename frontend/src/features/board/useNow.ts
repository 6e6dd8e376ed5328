import { useEffect, useState } from "react";

/** The current time, refreshed every `interval` ms: "12 d in stage" stays true on a board left open. */
export function useNow(interval = 60_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), interval);
    return () => clearInterval(timer);
  }, [interval]);
  return now;
}
