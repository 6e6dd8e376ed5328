/** How the dashboard writes its figures: money (full and compact), durations, shares, counts. */
import { formatMoney, fractionDigits } from "@/lib/fields";
import type { Money } from "@/lib/types";

export function money(amountMinor: number, currency: string | null): string {
  if (!currency) return String(amountMinor);
  return formatMoney({ amount_minor: amountMinor, currency });
}

/** "€12.5K": for axis ticks, where the full amount does not fit. */
export function compactMoney(amountMinor: number, currency: string | null): string {
  if (!currency) return compactNumber(amountMinor);
  const value = amountMinor / 10 ** fractionDigits(currency);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 }).format(value);
  } catch {
    return `${compactNumber(value)} ${currency}`;
  }
}

export function compactNumber(value: number): string {
  return new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 }).format(value);
}

export function moneyListText(list: Money[]): string {
  return list.map((item) => formatMoney(item)).join(" + ");
}

/** "3.5 days", "5 hours", "12 minutes". */
export function duration(seconds: number): string {
  const format = (value: number, unit: string) =>
    `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(value)} ${unit}${value === 1 ? "" : "s"}`;
  if (seconds >= 86_400) return format(seconds / 86_400, "day");
  if (seconds >= 3_600) return format(seconds / 3_600, "hour");
  return format(Math.max(0, seconds) / 60, "minute");
}

export function percent(share: number | null): string {
  if (share === null) return "–";
  return new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 }).format(share);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${new Intl.NumberFormat().format(count)} ${count === 1 ? one : many}`;
}
