import { useEffect, useMemo, useState } from "react";
import { dayBounds, msUntilTomorrow, type DayBounds } from "./dates";

/**
 * The current time for "late" marks (updated every minute) and today's bounds for the section filters. The
 * bounds object only changes when the local day does, so list queries keyed on it are not refetched every
 * minute, and a screen left open overnight moves its sections on at midnight.
 */
export function useClock(): { now: Date; bounds: DayBounds } {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const wait = Math.min(60_000, msUntilTomorrow(now) + 20);
    const timer = setTimeout(() => setNow(new Date()), wait);
    return () => clearTimeout(timer);
  }, [now]);
  const day = dayBounds(now).start.getTime();
  const bounds = useMemo(() => dayBounds(new Date(day)), [day]);
  return { now, bounds };
}
