import { cx } from "./cx";

// The 700 shades: white initials on them pass 4.5:1 (the 500s were 2.5-4:1).
const tones = ["bg-indigo-700", "bg-sky-700", "bg-emerald-700", "bg-amber-700", "bg-rose-700", "bg-violet-700", "bg-teal-700"];

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(h);
}

export function initials(name: string): string {
  const words = name.replace(/@.*/, "").split(/[\s._-]+/).filter(Boolean);
  return ((words[0]?.[0] ?? "?") + (words[1]?.[0] ?? "")).toUpperCase();
}

export function Avatar({ name, size = 20, square }: { name: string; size?: number; square?: boolean }) {
  return (
    <span
      aria-hidden="true"
      className={cx(
        "inline-flex shrink-0 items-center justify-center font-semibold text-white",
        square ? "rounded-md" : "rounded-full",
        tones[hash(name) % tones.length],
      )}
      style={{ width: size, height: size, fontSize: Math.max(9, size * 0.42) }}
    >
      {initials(name)}
    </span>
  );
}
