/**
 * The frame every dashboard card shares: a titled region whose body keeps one height whatever it shows — a
 * skeleton while loading, the error, the empty state, the chart or its table — so nothing on the page moves.
 * The chart is an image to assistive technology (its summary is the label); the same figures, with the
 * click-through links, are a real table one button away, for keyboard and screen-reader users.
 */
import { useId, useState, type ReactNode } from "react";
import { ApiError, errorMessage } from "@/api/problem";
import { Button } from "@/ui/Button";
import { EmptyState } from "@/ui/EmptyState";
import { Icon, type IconName } from "@/ui/Icon";

export type CardStatus = "loading" | "error" | "empty" | "ready";

export interface ChartCardProps {
  title: string;
  subtitle?: string;
  status: CardStatus;
  error?: unknown;
  onRetry?: () => void;
  /** What the card shows when there is nothing to draw. */
  empty: { icon: IconName; title: string; text: string };
  /** One or two sentences with the figures the chart shows, for screen readers. */
  summary: string;
  chart: () => ReactNode;
  table: () => ReactNode;
  /** Below the body, e.g. amounts in other currencies. */
  note?: ReactNode;
  height?: number;
  /** What the data is, in the error message: "deals", "leads". */
  subject: string;
}

/** An API error in words: who may see what, the connection, or the server's own message. */
export function cardError(error: unknown, subject: string): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Your role does not let you see ${subject}, so this chart cannot be shown.`;
    if (error.status === 0) return "The server cannot be reached. Check your connection and try again.";
    if (error.status >= 500) return "The server failed to compute this chart. Try again in a moment.";
  }
  return errorMessage(error);
}

const BARS = [55, 80, 40, 95, 65, 30, 75, 50];

function ChartSkeleton({ height }: { height: number }) {
  return (
    <div aria-busy="true" aria-label="Loading chart" className="flex h-full items-end gap-3 px-2 pb-6" style={{ height }}>
      {BARS.map((bar, index) => (
        <span key={index} aria-hidden="true" className="k-skeleton block flex-1 rounded-t-md" style={{ height: `${bar}%` }} />
      ))}
    </div>
  );
}

function CardError({ message, onRetry, height }: { message: string; onRetry?: () => void; height: number }) {
  return (
    <div role="alert" className="flex flex-col items-center justify-center gap-2 px-6 text-center" style={{ height }}>
      <Icon name="alert" className="text-danger" size={18} />
      <p className="max-w-sm text-sm text-muted">{message}</p>
      {onRetry ? (
        <Button size="sm" onClick={onRetry}>
          Retry
        </Button>
      ) : null}
    </div>
  );
}

export function ChartCard(props: ChartCardProps) {
  const { title, subtitle, status, height = 260 } = props;
  const [asTable, setAsTable] = useState(false);
  const titleId = useId();
  let body: ReactNode;
  if (status === "loading") body = <ChartSkeleton height={height} />;
  else if (status === "error") body = <CardError message={cardError(props.error, props.subject)} onRetry={props.onRetry} height={height} />;
  else if (status === "empty")
    body = (
      <div className="flex items-center justify-center" style={{ height }}>
        <EmptyState icon={props.empty.icon} title={props.empty.title}>
          {props.empty.text}
        </EmptyState>
      </div>
    );
  else if (asTable)
    body = (
      <div className="overflow-auto" style={{ height }}>
        {props.table()}
      </div>
    );
  else
    body = (
      <div role="img" aria-label={props.summary} style={{ height }}>
        <div aria-hidden="true" className="h-full">
          {props.chart()}
        </div>
      </div>
    );
  return (
    <section aria-labelledby={titleId} className="flex min-w-0 flex-col rounded-lg border border-line bg-surface shadow-xs">
      <header className="flex items-start gap-3 border-b border-line px-4 py-3">
        <div className="min-w-0 flex-1">
          <h2 id={titleId} className="truncate font-semibold text-fg">
            {title}
          </h2>
          {subtitle ? <p className="text-xs text-muted sm:truncate">{subtitle}</p> : null}
        </div>
        <Button
          size="sm"
          variant="ghost"
          icon={asTable ? "grid" : "columns"}
          aria-pressed={asTable}
          disabled={status !== "ready"}
          onClick={() => setAsTable((value) => !value)}
        >
          {asTable ? "Chart" : "Table"}
        </Button>
      </header>
      <div className="px-3 py-3">{body}</div>
      {props.note && status === "ready" ? <div className="border-t border-line px-4 py-2 text-xs text-muted">{props.note}</div> : null}
    </section>
  );
}

/** A data table in a card: compact, sticky header, numbers right-aligned. */
export function CardTable({ caption, head, children }: { caption: string; head: string[]; children: ReactNode }) {
  return (
    <table className="w-full text-sm">
      <caption className="sr-only">{caption}</caption>
      <thead className="sticky top-0 bg-surface">
        <tr className="border-b border-line text-left text-xs text-muted">
          {head.map((cell, index) => (
            <th key={cell} scope="col" className={index === 0 ? "py-1.5 pr-2 font-medium" : "px-2 py-1.5 text-right font-medium"}>
              {cell}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
