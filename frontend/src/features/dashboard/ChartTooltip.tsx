/** A chart tooltip drawn with the design tokens (recharts' default one is light-only). */
import type { ReactNode } from "react";
import type { TooltipContentProps } from "recharts";
import type { NameType, ValueType } from "recharts/types/component/DefaultTooltipContent";

export interface TooltipLine {
  color?: string;
  text: string;
}

function TooltipBox({ title, lines }: { title: string; lines: TooltipLine[] }) {
  return (
    <div className="rounded-md border border-line bg-raised px-3 py-2 text-xs shadow-pop">
      <p className="mb-1 font-medium text-fg">{title}</p>
      {lines.map((line, index) => (
        <p key={index} className="flex items-center gap-1.5 text-muted">
          {line.color ? <span aria-hidden="true" className="inline-block h-2 w-2 rounded-sm" style={{ background: line.color }} /> : null}
          {line.text}
        </p>
      ))}
    </div>
  );
}

/** Tooltip content for recharts' ``<Tooltip content={...}>``, from the hovered datum. */
export function tooltipFor<T>(describe: (datum: T) => { title: string; lines: TooltipLine[] }) {
  return function Content(props: TooltipContentProps<ValueType, NameType>): ReactNode {
    const datum = props.payload?.[0]?.payload as T | undefined;
    if (!props.active || datum === undefined) return null;
    return <TooltipBox {...describe(datum)} />;
  };
}
