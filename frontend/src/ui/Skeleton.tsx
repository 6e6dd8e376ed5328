import { cx } from "./cx";

/** A placeholder the size of what is loading, so nothing moves when it arrives. */
export function Skeleton({ className }: { className?: string }) {
  return <span aria-hidden="true" className={cx("k-skeleton block h-3", className)} />;
}

export function SkeletonRows({ rows = 12, columns = 5, height = 36 }: { rows?: number; columns?: number; height?: number }) {
  return (
    <div aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, r) => (
        <div key={r} className="flex items-center gap-4 border-b border-line px-3" style={{ height }}>
          <Skeleton className="h-3.5 w-3.5" />
          {Array.from({ length: columns }, (_, c) => (
            <Skeleton key={c} className={cx("h-3", c === 0 ? "w-40" : "w-24")} />
          ))}
        </div>
      ))}
    </div>
  );
}
