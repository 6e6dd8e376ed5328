/** The quick filters above a board: a search box (debounced) and whose cards to show (mine / everyone's). */
import { useEffect, useRef, useState, type ReactNode } from "react";
import { useShortcuts } from "@/app/shortcuts";
import { cx } from "@/ui/cx";
import { Icon } from "@/ui/Icon";
import { Kbd } from "@/ui/Kbd";

function Search({ value, onChange, placeholder }: { value: string; onChange: (value: string) => void; placeholder: string }) {
  const ref = useRef<HTMLInputElement>(null);
  const [text, setText] = useState(value);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onChange(text), 250);
    return () => clearTimeout(timer);
  }, [text, value, onChange]);
  useShortcuts({ "/": () => ref.current?.focus() });
  return (
    <div className="relative w-full max-w-64">
      <Icon name="search" size={14} className="pointer-events-none absolute top-1/2 left-2.5 -translate-y-1/2 text-faint" />
      <input
        ref={ref}
        type="search"
        aria-label="Search the board"
        placeholder={placeholder}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            setText("");
            onChange("");
            ref.current?.blur();
          }
        }}
        className="k-input h-8 pr-8 pl-8"
      />
      {!text ? (
        <span className="pointer-events-none absolute top-1/2 right-2 -translate-y-1/2">
          <Kbd>/</Kbd>
        </span>
      ) : null}
    </div>
  );
}

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
      <Search value={search} onChange={onSearch} placeholder={placeholder} />
      {onMine ? <OwnerToggle mine={mine} onChange={onMine} /> : null}
      {children}
      <p className="ml-auto hidden items-center gap-1 text-xs text-faint xl:flex" aria-hidden="true">
        Move a focused card: <Kbd>Space</Kbd> <Kbd>←</Kbd> <Kbd>→</Kbd> <Kbd>Space</Kbd>
      </p>
    </div>
  );
}
