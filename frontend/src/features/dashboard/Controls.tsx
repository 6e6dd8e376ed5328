/** The controls that apply to every card: the period (presets or custom days) and the pipeline. */
import { useId } from "react";
import { PRESETS, type DayRange, type RangePreset } from "./range";
import type { PipelineInfo } from "./data";

const SELECT = "k-input h-8 w-auto min-w-0 py-0 pr-7 text-sm";

export function RangePicker({
  preset,
  custom,
  invalid,
  onPreset,
  onCustom,
}: {
  preset: RangePreset;
  custom: DayRange;
  invalid: boolean;
  onPreset: (preset: RangePreset) => void;
  onCustom: (range: DayRange) => void;
}) {
  const id = useId();
  return (
    <div className="flex flex-wrap items-center gap-2">
      <label htmlFor={`${id}-preset`} className="sr-only">
        Period
      </label>
      <select id={`${id}-preset`} className={SELECT} value={preset} onChange={(e) => onPreset(e.target.value as RangePreset)}>
        {PRESETS.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {preset === "custom" ? (
        <fieldset className="flex flex-wrap items-center gap-1.5" aria-describedby={invalid ? `${id}-error` : undefined}>
          <legend className="sr-only">Custom period</legend>
          <label htmlFor={`${id}-from`} className="text-xs text-muted">
            From
          </label>
          <input
            id={`${id}-from`}
            type="date"
            className="k-input h-8 w-auto py-0 text-sm"
            value={custom.from}
            max={custom.to || undefined}
            aria-invalid={invalid || undefined}
            onChange={(e) => onCustom({ ...custom, from: e.target.value })}
          />
          <label htmlFor={`${id}-to`} className="text-xs text-muted">
            To
          </label>
          <input
            id={`${id}-to`}
            type="date"
            className="k-input h-8 w-auto py-0 text-sm"
            value={custom.to}
            min={custom.from || undefined}
            aria-invalid={invalid || undefined}
            onChange={(e) => onCustom({ ...custom, to: e.target.value })}
          />
          {invalid ? (
            <p id={`${id}-error`} role="alert" className="basis-full text-xs text-danger sm:basis-auto">
              Pick a start day on or before the end day; the charts keep the last valid period.
            </p>
          ) : null}
        </fieldset>
      ) : null}
    </div>
  );
}

export function PipelinePicker({
  pipelines,
  value,
  loading,
  onChange,
}: {
  pipelines: PipelineInfo[];
  value: string | null;
  loading: boolean;
  onChange: (id: string) => void;
}) {
  const id = useId();
  return (
    <div className="flex items-center gap-2">
      <label htmlFor={id} className="sr-only">
        Pipeline
      </label>
      <select
        id={id}
        className={SELECT}
        value={value ?? ""}
        disabled={loading || pipelines.length === 0}
        onChange={(e) => onChange(e.target.value)}
      >
        {loading ? <option value="">Loading pipelines…</option> : null}
        {!loading && pipelines.length === 0 ? <option value="">No pipeline</option> : null}
        {pipelines.map((pipeline) => (
          <option key={pipeline.id} value={pipeline.id}>
            {pipeline.name}
          </option>
        ))}
      </select>
    </div>
  );
}
