/**
 * The option colours the API accepts (named, so each theme picks its own shade), as Tailwind classes.
 * Tag colours are the one place palette colours are right: each has a light and a dark variant here.
 */
import type { OptionColor } from "./fieldTypes";

const TONES: Record<OptionColor, string> = {
  gray: "bg-zinc-100 text-zinc-700 dark:bg-zinc-500/15 dark:text-zinc-300",
  red: "bg-red-100 text-red-800 dark:bg-red-500/15 dark:text-red-300",
  orange: "bg-orange-100 text-orange-800 dark:bg-orange-500/15 dark:text-orange-300",
  yellow: "bg-amber-100 text-amber-800 dark:bg-amber-500/15 dark:text-amber-300",
  green: "bg-emerald-100 text-emerald-800 dark:bg-emerald-500/15 dark:text-emerald-300",
  teal: "bg-teal-100 text-teal-800 dark:bg-teal-500/15 dark:text-teal-300",
  blue: "bg-sky-100 text-sky-800 dark:bg-sky-500/15 dark:text-sky-300",
  purple: "bg-violet-100 text-violet-800 dark:bg-violet-500/15 dark:text-violet-300",
  pink: "bg-pink-100 text-pink-800 dark:bg-pink-500/15 dark:text-pink-300",
};

const SWATCHES: Record<OptionColor, string> = {
  gray: "bg-zinc-400",
  red: "bg-red-500",
  orange: "bg-orange-500",
  yellow: "bg-amber-400",
  green: "bg-emerald-500",
  teal: "bg-teal-500",
  blue: "bg-sky-500",
  purple: "bg-violet-500",
  pink: "bg-pink-500",
};

export function toneClass(color: OptionColor | null | undefined): string {
  return TONES[color ?? "gray"];
}

export function swatchClass(color: OptionColor | null | undefined): string {
  return color ? SWATCHES[color] : "border border-line-strong bg-surface";
}

export const COLOR_NAMES: Record<OptionColor, string> = {
  gray: "Gray",
  red: "Red",
  orange: "Orange",
  yellow: "Yellow",
  green: "Green",
  teal: "Teal",
  blue: "Blue",
  purple: "Purple",
  pink: "Pink",
};
