/**
 * The options of a select field: label, colour and order (drag, or keyboard on the handle). A new option's
 * value (what records store) follows its label; a saved option's value is fixed, since records hold it.
 */
import { useRef } from "react";
import { Button } from "@/ui/Button";
import { cx } from "@/ui/cx";
import { COLOR_NAMES, swatchClass, toneClass } from "./colors";
import { OPTION_COLORS, optionKey, optionValueFrom, type OptionColor, type OptionDraft } from "./fieldTypes";
import { SortableList } from "./SortableList";

export function OptionsEditor({
  options,
  onChange,
  errors,
  disabled,
  colors = true,
  locked,
}: {
  options: OptionDraft[];
  onChange: (options: OptionDraft[]) => void;
  errors: Record<string, string>;
  disabled?: boolean;
  /** Standard fields' options take no colour (the API keeps colours for custom fields only). */
  colors?: boolean;
  /** Values the product needs (a lead's "new" and "converted"): they cannot be removed. */
  locked?: ReadonlySet<string>;
}) {
  const list = useRef<HTMLDivElement>(null);
  const update = (key: string, change: Partial<OptionDraft>) =>
    onChange(
      options.map((o) => {
        if (o.key !== key) return o;
        const next = { ...o, ...change };
        if (!o.saved && change.label !== undefined) {
          next.value = optionValueFrom(change.label, options.filter((other) => other.key !== key).map((other) => other.value));
        }
        return next;
      }),
    );
  const add = () => {
    const color = colors ? (OPTION_COLORS[(options.length + 6) % OPTION_COLORS.length] ?? null) : null;
    onChange([...options, { key: optionKey(), value: "", label: "", color, saved: false }]);
    // Focus the new row's label once it is rendered.
    requestAnimationFrame(() => {
      const inputs = list.current?.querySelectorAll<HTMLInputElement>("input[data-option-label]");
      inputs?.[inputs.length - 1]?.focus();
    });
  };
  const remove = (key: string) => onChange(options.filter((o) => o.key !== key));

  return (
    <div ref={list}>
      <span className="k-label" id="options-label">
        Options
      </span>
      {options.length === 0 ? <p className="mb-2 text-sm text-muted">No options yet. A select field needs at least one.</p> : null}
      <SortableList
        items={options}
        idOf={(o) => o.key}
        labelOf={(o) => o.label || "new option"}
        onReorder={onChange}
        label="Options"
        disabled={disabled}
        className="space-y-1.5"
      >
        {(option, handle, index) => {
          const error = errors[`options.${index}`];
          return (
            <div>
              <div className="flex items-center gap-1.5">
                {handle}
                {colors ? <span aria-hidden="true" className={cx("h-3.5 w-3.5 shrink-0 rounded-full", swatchClass(option.color))} /> : null}
                {colors ? <select
                  aria-label={`Colour of ${option.label || `option ${index + 1}`}`}
                  className="k-input h-8 w-24 shrink-0 px-1.5"
                  value={option.color ?? ""}
                  disabled={disabled}
                  onChange={(e) => update(option.key, { color: (e.target.value || null) as OptionColor | null })}
                >
                  <option value="">No colour</option>
                  {OPTION_COLORS.map((c) => (
                    <option key={c} value={c}>
                      {COLOR_NAMES[c]}
                    </option>
                  ))}
                </select> : null}
                <input
                  data-option-label
                  aria-label={`Option ${index + 1} label`}
                  className="k-input h-8 min-w-0 flex-1"
                  value={option.label}
                  disabled={disabled}
                  aria-invalid={error ? true : undefined}
                  placeholder="Label"
                  maxLength={200}
                  onChange={(e) => update(option.key, { label: e.target.value })}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") {
                      e.preventDefault();
                      if (index === options.length - 1 && option.label.trim()) add();
                    }
                  }}
                />
                <Button
                  size="sm"
                  variant="ghost"
                  icon="x"
                  aria-label={`Remove option ${option.label || index + 1}`}
                  disabled={disabled || locked?.has(option.value)}
                  title={locked?.has(option.value) ? "The product needs this option" : undefined}
                  onClick={() => remove(option.key)}
                />
              </div>
              <div className="mt-0.5 flex items-center gap-2 pl-8 text-xs text-faint">
                {option.label ? <span className={cx("rounded px-1.5 py-px font-medium", toneClass(option.color))}>{option.label}</span> : null}
                {option.value ? <span className="truncate font-mono">{option.value}</span> : null}
              </div>
              {error ? (
                <p role="alert" className="mt-0.5 pl-8 text-xs text-danger">
                  {error}
                </p>
              ) : null}
            </div>
          );
        }}
      </SortableList>
      <Button size="sm" icon="plus" className="mt-2" onClick={add} disabled={disabled}>
        Add option
      </Button>
      {errors.options ? (
        <p role="alert" className="mt-1 text-xs text-danger">
          {errors.options}
        </p>
      ) : null}
      {options.some((o) => o.saved) ? (
        <p className="mt-1 text-xs text-muted">Removing a saved option does not clear it from records that have it.</p>
      ) : null}
    </div>
  );
}
