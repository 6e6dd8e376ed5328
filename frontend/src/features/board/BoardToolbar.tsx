/** The quick filters above a board: a search box (debounced) and whose cards to show (mine / everyone's). */
import type { ReactNode } from "react";
import { cx } from "@/ui/cx";
import { Kbd } from "@/ui/Kbd";
import { SearchInput } from "@/ui/SearchInput";

function OwnerToggle({ mine, onChange }: { mine: boolean; onChange: (mine: boolean) => void }) {
  const option = (value: boolean, label: string) => (
    <button
      type="button"
      role="radio"
      aria-checked={mine === value}
      onClick={() => onChange(value)}
      className={cx("h-7 rounded px-2.5 text-xs font-medium", mine === value ? "bg-surface text-fg shadow-xs" : "text-muted hover:text-fg")}
    >
      {label}
    </button>
  );
  return (
    <div role="radiogroup" aria-label="Owner" className="inline-flex rounded-md border border-line bg-subtle p-0.5">
      {option(false, "Everyone")}
      {option(true, "Mine")}
    </div>
  );
}

export function BoardToolbar({
  search,
  onSearch,
  mine,
  onMine,
  placeholder,
  children,
}: {
  search: string;
  onSearch: (value: string) => void;
  mine: boolean;
  onMine: ((mine: boolean) => void) | null;
  placeholder: string;
  children?: ReactNode;
}) {
  return (
    <div className="flex shrink-0 flex-wrap items-center gap-2 border-b border-line bg-surface px-3 py-2 sm:px-4">
      <SearchInput value={search} onChange={onSearch} label="Search the board" placeholder={placeholder} />
      {onMine ? <OwnerToggle mine={mine} onChange={onMine} /> : null}
      {children}
      <p className="ml-auto hidden items-center gap-1 text-xs text-faint xl:flex" aria-hidden="true">
        Move a focused card: <Kbd>Space</Kbd> <Kbd>←</Kbd> <Kbd>→</Kbd> <Kbd>Space</Kbd>
      </p>
    </div>
  );
}
