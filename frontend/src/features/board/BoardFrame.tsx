/** The frame both boards share: a header (icon, title, controls) and the loading state of the final size. */
import type { ReactNode } from "react";
import { Link } from "react-router";
import { Icon } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";

export function BoardHeader({ title, listPath, children }: { title: string; listPath: string; children?: ReactNode }) {
  return (
    <header className="flex h-12 shrink-0 items-center gap-2 border-b border-line bg-surface px-3 sm:px-4">
      <Icon name="columns" size={16} className="shrink-0 text-muted" />
      <h1 className="truncate text-sm font-semibold">{title}</h1>
      <Link to={listPath} className="hidden rounded px-1.5 py-0.5 text-xs text-muted hover:bg-hover hover:text-fg sm:inline">
        List view
      </Link>
      <div className="ml-auto flex min-w-0 items-center gap-2">{children}</div>
    </header>
  );
}

/** Columns of cards, shimmering, the size the board will have. */
export function BoardSkeleton({ columns = 5 }: { columns?: number }) {
  return (
    <div className="flex min-h-0 flex-1 gap-3 overflow-hidden p-3 sm:p-4" aria-busy="true" aria-label="Loading the board">
      {Array.from({ length: columns }, (_, c) => (
        <div key={c} className="flex w-[calc(85vw-1.5rem)] max-w-80 shrink-0 flex-col rounded-xl border border-line bg-subtle/60 sm:w-72">
          <div className="space-y-2 px-3 pt-3 pb-2.5">
            <Skeleton className="h-3.5 w-28" />
            <Skeleton className="w-20" />
          </div>
          <div className="space-y-2 px-2">
            {Array.from({ length: 3 }, (_, i) => (
              <div key={i} className="k-card h-[92px] space-y-2.5 p-3">
                <Skeleton className="h-3.5 w-40" />
                <Skeleton className="w-24" />
              </div>
            ))}
          </div>
        </div>
      ))}
    </div>
  );
}
