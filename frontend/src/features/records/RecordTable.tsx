/**
 * The generic grid: TanStack Table for columns, sorting and selection (all server-side), TanStack Virtual for
 * rows, so a million-row object renders ~40 DOM rows at a time. Pages load as the user nears the end
 * (following next_cursor). j/k move, Enter opens, x selects; a click on a writable cell edits it in place.
 */
import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type RowSelectionState,
  type SortingState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { useShortcuts } from "@/app/shortcuts";
import { can, isEditable, recordTitle, titleLabel } from "@/lib/fields";
import type { FieldMeta, ObjectMeta, RecordData } from "@/lib/types";
import { cx } from "@/ui/cx";
import { Icon } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { FieldValue } from "./FieldValue";
import { InlineEdit } from "./InlineEdit";

export const ROW_HEIGHT = 36;

function widthFor(field: FieldMeta, title: boolean): number {
  if (title) return 260;
  switch (field.type) {
    case "email":
    case "url":
    case "long_text":
      return 220;
    case "relation":
    case "record_link":
    case "user":
    case "text":
      return 180;
    case "datetime":
      return 170;
    case "date":
    case "select":
    case "currency":
    case "phone":
      return 140;
    default:
      return 120;
  }
}

export function parseSort(sort: string): SortingState {
  return sort
    .split(",")
    .filter(Boolean)
    .map((key) => ({ id: key.replace(/^-/, ""), desc: key.startsWith("-") }));
}

export function formatSort(sorting: SortingState): string {
  return sorting.map((s) => (s.desc ? "-" : "") + s.id).join(",");
}

interface Props {
  meta: ObjectMeta;
  rows: RecordData[];
  columns: string[];
  sort: string;
  onSort: (sort: string) => void;
  selection: RowSelectionState;
  onSelection: (s: RowSelectionState) => void;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => void;
  loading: boolean;
}

export function RecordTable({ meta, rows, columns, sort, onSort, selection, onSelection, hasNextPage, isFetchingNextPage, fetchNextPage, loading }: Props) {
  // The role may update records of this object at all (fields can still be read-only on their own).
  const mayUpdate = can(meta, "update");
  const navigate = useNavigate();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(-1);
  const [editing, setEditing] = useState<{ id: string; field: string } | null>(null);

  const columnDefs = useMemo<ColumnDef<RecordData>[]>(() => {
    const byName = new Map(meta.fields.map((f) => [f.name, f]));
    const defs: ColumnDef<RecordData>[] = [
      {
        id: "_select",
        size: 40,
        enableSorting: false,
        header: ({ table }) => (
          <input
            type="checkbox"
            aria-label="Select all loaded rows"
            className="accent-[var(--k-accent)]"
            checked={table.getIsAllRowsSelected()}
            ref={(el) => {
              if (el) el.indeterminate = table.getIsSomeRowsSelected();
            }}
            onChange={table.getToggleAllRowsSelectedHandler()}
          />
        ),
        cell: ({ row }) => (
          <input
            type="checkbox"
            aria-label="Select row"
            className="accent-[var(--k-accent)]"
            checked={row.getIsSelected()}
            onChange={row.getToggleSelectedHandler()}
            onClick={(e) => e.stopPropagation()}
          />
        ),
      },
    ];
    for (const name of columns) {
      const field = byName.get(name);
      if (!field) continue;
      const title = name === meta.title_field;
      defs.push({
        id: name,
        accessorFn: (row) => row[name],
        size: widthFor(field, title),
        enableSorting: field.type !== "record_link" && field.type !== "multi_select",
        header: title ? titleLabel(meta) : field.label,
        meta: { field, title },
      });
    }
    return defs;
  }, [meta, columns]);

  const sorting = useMemo(() => parseSort(sort), [sort]);
  const table = useReactTable({
    data: rows,
    columns: columnDefs,
    getRowId: (row) => row.id,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    enableMultiSort: true,
    isMultiSortEvent: (e) => (e as MouseEvent).shiftKey,
    state: { sorting, rowSelection: selection },
    onSortingChange: (updater) => onSort(formatSort(typeof updater === "function" ? updater(sorting) : updater)),
    onRowSelectionChange: (updater) => onSelection(typeof updater === "function" ? updater(selection) : updater),
    enableRowSelection: true,
  });
  const tableRows = table.getRowModel().rows;

  const virtualizer = useVirtualizer({
    count: tableRows.length + (hasNextPage ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? (items[items.length - 1]?.index ?? 0) : 0;

  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= tableRows.length - 30) fetchNextPage();
  }, [lastIndex, hasNextPage, isFetchingNextPage, tableRows.length, fetchNextPage]);

  const move = (by: number) => {
    if (!tableRows.length) return;
    const next = Math.max(0, Math.min(tableRows.length - 1, active + by));
    setActive(next);
    virtualizer.scrollToIndex(next, { align: "auto" });
  };
  useShortcuts({
    j: () => move(1),
    k: () => move(-1),
    ArrowDown: () => move(1),
    ArrowUp: () => move(-1),
    Enter: () => {
      const row = tableRows[active];
      if (row) navigate(`/${meta.name}/${row.original.id}`);
    },
    x: () => tableRows[active]?.toggleSelected(),
    Escape: () => onSelection({}),
  });

  const widths = table.getVisibleLeafColumns().map((c) => c.getSize());
  const template = widths.map((w, i) => (i === 1 ? `minmax(${w}px, 1.5fr)` : `minmax(${w}px, 1fr)`)).join(" ");
  const minWidth = widths.reduce((a, b) => a + b, 0);

  return (
    <div ref={scrollRef} className="relative min-h-0 flex-1 overflow-auto" data-testid="record-grid">
      <div role="grid" aria-label={meta.label_plural} aria-rowcount={tableRows.length} style={{ minWidth }} className="text-sm">
        <div role="rowgroup" className="sticky top-0 z-20">
          {table.getHeaderGroups().map((group) => (
            <div role="row" key={group.id} className="grid h-9 items-center border-b border-line bg-surface" style={{ gridTemplateColumns: template }}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted();
                const canSort = header.column.getCanSort();
                return (
                  <div
                    role="columnheader"
                    key={header.id}
                    aria-sort={sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : undefined}
                    className={cx("flex h-full min-w-0 items-center border-r border-line/60 text-xs font-medium text-muted last:border-r-0", header.id === "_select" ? "justify-center" : "px-3")}
                  >
                    {header.id === "_select" || !canSort ? (
                      flexRender(header.column.columnDef.header, header.getContext())
                    ) : (
                      <button
                        type="button"
                        onClick={header.column.getToggleSortingHandler()}
                        className="flex min-w-0 items-center gap-1 hover:text-fg"
                        title="Sort (shift-click to add a sort key)"
                      >
                        <span className="truncate">{flexRender(header.column.columnDef.header, header.getContext())}</span>
                        {sorted ? <Icon name={sorted === "desc" ? "arrowDown" : "arrowUp"} size={12} className="shrink-0 text-accent-text" /> : null}
                        {sorted && sorting.length > 1 ? <span className="text-[10px] text-faint">{header.column.getSortIndex() + 1}</span> : null}
                      </button>
                    )}
                  </div>
                );
              })}
            </div>
          ))}
        </div>
        {loading ? (
          <div role="rowgroup">
            {Array.from({ length: 14 }, (_, i) => (
              <div key={i} role="row" className="grid items-center border-b border-line" style={{ gridTemplateColumns: template, height: ROW_HEIGHT }}>
                {widths.map((_, c) => (
                  <div key={c} className={cx("px-3", c === 0 && "flex justify-center")}>
                    <Skeleton className={c === 0 ? "h-3.5 w-3.5" : c === 1 ? "w-3/4" : "w-1/2"} />
                  </div>
                ))}
              </div>
            ))}
          </div>
        ) : (
          <div role="rowgroup" className="relative" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const row = tableRows[item.index];
              if (!row) {
                return (
                  <div key="loader" role="row" className="absolute inset-x-0 flex items-center gap-2 px-3 text-xs text-muted" style={{ height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}>
                    <Skeleton className="w-40" />
                  </div>
                );
              }
              const record = row.original;
              const isActive = item.index === active;
              return (
                <div
                  key={row.id}
                  role="row"
                  aria-selected={row.getIsSelected()}
                  data-index={item.index}
                  onMouseDown={() => setActive(item.index)}
                  className={cx(
                    "group absolute inset-x-0 grid items-center border-b border-line bg-surface",
                    row.getIsSelected() ? "bg-accent-soft/60" : "hover:bg-hover/60",
                    isActive && "outline-2 -outline-offset-2 outline-accent/40",
                  )}
                  style={{ gridTemplateColumns: template, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                >
                  {row.getVisibleCells().map((cell) => {
                    if (cell.column.id === "_select") {
                      return (
                        <div role="gridcell" key={cell.id} className="flex justify-center">
                          {flexRender(cell.column.columnDef.cell, cell.getContext())}
                        </div>
                      );
                    }
                    const { field, title } = cell.column.columnDef.meta as { field: FieldMeta; title: boolean };
                    const edit = editing?.id === record.id && editing.field === field.name;
                    const writable = mayUpdate && isEditable(field);
                    return (
                      <div
                        role="gridcell"
                        key={cell.id}
                        data-field={field.name}
                        onClick={() => {
                          if (writable && !title && !edit) setEditing({ id: record.id, field: field.name });
                        }}
                        className={cx(
                          "flex h-full min-w-0 items-center overflow-visible border-r border-line/40 px-3 last:border-r-0",
                          writable && !title && "cursor-text",
                          edit && "z-10 bg-raised px-1 shadow-pop",
                        )}
                      >
                        {edit ? (
                          <InlineEdit object={meta.name} record={record} field={field} compact onDone={() => setEditing(null)} />
                        ) : title ? (
                          <span className="flex min-w-0 flex-1 items-center gap-2">
                            <Link to={`/${meta.name}/${record.id}`} className="min-w-0 truncate font-medium text-fg hover:underline">
                              {recordTitle(meta, record)}
                            </Link>
                            {writable ? (
                              <button
                                type="button"
                                aria-label={`Edit ${field.label}`}
                                onClick={(e) => {
                                  e.stopPropagation();
                                  setEditing({ id: record.id, field: field.name });
                                }}
                                className="ml-auto hidden shrink-0 rounded p-0.5 text-faint group-hover:block hover:bg-hover hover:text-fg"
                              >
                                <Icon name="edit" size={12} />
                              </button>
                            ) : null}
                          </span>
                        ) : (
                          <span className="min-w-0 truncate">
                            <FieldValue field={field} value={record[field.name]} />
                          </span>
                        )}
                      </div>
                    );
                  })}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}
