/**
 * Chart colours. SVG attributes cannot use Tailwind classes, so the charts get concrete colours read from the
 * design tokens (CSS variables on <html>), read again whenever the theme flips, so dark mode recolours them.
 * Series with no semantic colour (lead statuses, activity kinds) use a categorical palette tuned per theme.
 */
import { useMemo, useSyncExternalStore } from "react";

export interface ChartColors {
  accent: string;
  success: string;
  danger: string;
  fg: string;
  muted: string;
  faint: string;
  line: string;
  surface: string;
  subtle: string;
  series: string[];
}

const LIGHT_SERIES = ["#4f46e5", "#0d9488", "#d97706", "#db2777", "#0284c7", "#7c3aed", "#65a30d", "#64748b"];
const DARK_SERIES = ["#818cf8", "#2dd4bf", "#fbbf24", "#f472b6", "#38bdf8", "#c084fc", "#a3e635", "#94a3b8"];

const FALLBACK: Omit<ChartColors, "series"> = {
  accent: "#4f46e5",
  success: "#15803d",
  danger: "#dc2626",
  fg: "#18181b",
  muted: "#63636e",
  faint: "#9a9aa5",
  line: "#e4e4e8",
  surface: "#ffffff",
  subtle: "#f2f2f4",
};

function subscribe(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  return () => observer.disconnect();
}

function theme(): string {
  return document.documentElement.dataset.theme ?? "light";
}

function token(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(`--k-${name}`).trim() || fallback;
}

export function useChartColors(): ChartColors {
  const current = useSyncExternalStore(subscribe, theme, () => "light");
  return useMemo(() => {
    const style = getComputedStyle(document.documentElement);
    const read = Object.fromEntries(
      Object.entries(FALLBACK).map(([name, fallback]) => [name, token(style, name, fallback)]),
    ) as Omit<ChartColors, "series">;
    return { ...read, series: current === "dark" ? DARK_SERIES : LIGHT_SERIES };
    // `current` is the trigger: the variables it switches are read from the DOM.
  }, [current]);
}
