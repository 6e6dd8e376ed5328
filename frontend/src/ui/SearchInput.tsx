/**
 * A quick-search box: debounced (250 ms), "/" focuses it from anywhere on the screen, Escape clears it.
 * It follows `value` when that changes from outside (a saved view, the URL).
 */
import { useEffect, useRef, useState } from "react";
import { useShortcuts } from "@/app/shortcuts";
import { Icon } from "./Icon";
import { Kbd } from "./Kbd";

export function SearchInput({
  value,
  onChange,
  label,
  placeholder,
}: {
  value: string;
  onChange: (value: string) => void;
  label: string;
  placeholder: string;
}) {
  const ref = useRef<HTMLInputElement>(null);
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
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
        role="searchbox"
        aria-label={label}
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
