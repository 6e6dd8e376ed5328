/**
 * A category axis label that stays inside the axis' width. Recharts wraps labels on spaces but lets a word
 * that is wider than the axis run off the chart's left edge, where the SVG clips it (the funnel's and
 * time-in-stage charts' stage names, e.g. "Enterprise-qualification"). This one wraps to at most two lines,
 * shortens what still does not fit with an ellipsis, and keeps the full name as the label's tooltip.
 */
const FONT_SIZE = 11;
const LINE_HEIGHT = 13;

let canvas: CanvasRenderingContext2D | null | undefined;

/** The text's width in pixels at the axis' font; an estimate where there is no canvas (tests). */
function textWidth(text: string): number {
  if (canvas === undefined) {
    try {
      canvas = document.createElement("canvas").getContext("2d");
    } catch {
      canvas = null;
    }
    if (canvas) canvas.font = `${FONT_SIZE}px ${getComputedStyle(document.body).fontFamily || "sans-serif"}`;
  }
  return canvas ? canvas.measureText(text).width : text.length * FONT_SIZE * 0.62;
}

function shorten(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  let end = text.length;
  while (end > 1 && textWidth(`${text.slice(0, end)}…`) > width) end--;
  return `${text.slice(0, end)}…`;
}

/** The label as at most `maxLines` lines, each at most `width` pixels wide. */
export function fitLabel(text: string, width: number, maxLines = 2): string[] {
  const lines: string[] = [];
  let current = "";
  const words = text.split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    const candidate = current ? `${current} ${word}` : word;
    if (textWidth(candidate) <= width || !current) {
      current = candidate;
      continue;
    }
    lines.push(current);
    current = word;
    if (lines.length === maxLines - 1) {
      current = words.slice(i).join(" ");
      break;
    }
  }
  if (current) lines.push(current);
  return lines.map((line) => shorten(line, width));
}

interface TickProps {
  x?: number | string;
  y?: number | string;
  payload?: { value?: unknown };
  fill: string;
  /** The axis' width; the label keeps a small gap to the axis line. */
  width: number;
}

export function CategoryTick({ x = 0, y = 0, payload, fill, width }: TickProps) {
  const full = String(payload?.value ?? "");
  const lines = fitLabel(full, width - 8);
  const top = Number(y) - ((lines.length - 1) * LINE_HEIGHT) / 2;
  return (
    <text x={Number(x)} y={top} textAnchor="end" dominantBaseline="central" fill={fill} fontSize={FONT_SIZE}>
      <title>{full}</title>
      {lines.map((line, i) => (
        <tspan key={i} x={Number(x)} dy={i === 0 ? 0 : LINE_HEIGHT}>
          {line}
        </tspan>
      ))}
    </text>
  );
}
