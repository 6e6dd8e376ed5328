import { useMemo } from "react";
import { encodeQr } from "./qr";

const QUIET = 4;

/**
 * A QR code as one SVG path. Always dark modules on white, in both themes: authenticator apps' scanners
 * expect a light background and a quiet zone, so this is the one place that does not use the theme tokens.
 */
export function QrCode({ text, size = 176, label }: { text: string; size?: number; label: string }) {
  const matrix = useMemo(() => encodeQr(text), [text]);
  if (!matrix) return null;
  const extent = matrix.length + QUIET * 2;
  let path = "";
  matrix.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) path += `M${x + QUIET} ${y + QUIET}h1v1h-1z`;
    }),
  );
  return (
    <svg
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${extent} ${extent}`}
      shapeRendering="crispEdges"
      className="rounded-md border border-line"
    >
      <rect width={extent} height={extent} fill="#ffffff" />
      <path d={path} fill="#000000" />
    </svg>
  );
}
