import type { RowSelectionState } from "@tanstack/react-table";
import { useEffect, useMemo, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { useObjectMeta, useRecordCount, useRecordList } from "@/api/records";
import { useShortcuts } from "@/app/shortcuts";
import { can } from "@/lib/fields";
import type { RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { EmptyState } from "@/ui/EmptyState";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { Icon, objectIcon } from "@/ui/Icon";
import { SearchInput } from "@/ui/SearchInput";
import { Skeleton, SkeletonRows } from "@/ui/Skeleton";
import { NARROW, useMediaQuery } from "@/ui/useMediaQuery";
import { BulkBar } from "./BulkBar";
import { ColumnChooser } from "./ColumnChooser";
import { CreateRecordDialog } from "./CreateRecordDialog";
import { FilterBar } from "./FilterBar";
import { ListEmptyState } from "./ListEmptyState";
import { useListState } from "./listState";
import { RecordCards } from "./RecordCards";
import { RecordTable } from "./RecordTable";
import { ViewsMenu } from "./ViewsMenu";

const numberFormat = new Intl.NumberFormat();

/** The one list screen for every object: views, filters, sort, columns, search, selection, inline edit. */
export default function ListPage() {
  const { object = "" } = useParams();
  const navigate = useNavigate();
  const { meta, isLoading: metaLoading, error: metaError } = useObjectMeta(object);
  const state = useListState(object, meta);
  const [selection, setSelection] = useState<RowSelectionState>({});
  const [creating, setCreating] = useState(false);

  const fields = useMemo(() => {
    if (!meta) return null;
    const names = new Set(["id", "version", meta.title_field, ...state.columns]);
    if (meta.title_field === "last_name") names.add("first_name");
    return [...names];
  }, [meta, state.columns]);

  const query = { filter: state.filter, sort: state.sort || null, fields };
  const list = useRecordList(object, query, Boolean(meta));
  const count = useRecordCount(object, state.filter, Boolean(meta));
  const rows = useMemo<RecordData[]>(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const selected = rows.filter((r) => selection[r.id]);
  const canCreate = meta ? can(meta, "create") : false;
  const narrow = useMediaQuery(NARROW);

  useEffect(() => setSelection({}), [object]);
  useShortcuts({ n: () => canCreate && setCreating(true) }, Boolean(meta));

  if (metaError) return <div className="p-6"><ErrorBanner error={metaError} /></div>;
  if (!meta) {
    if (metaLoading) {
      return (
        <div className="flex h-full flex-col">
          <div className="flex h-12 items-center border-b border-line bg-surface px-4"><Skeleton className="h-4 w-40" /></div>
          <div className="h-11 border-b border-line bg-surface" />
          <SkeletonRows />
        </div>
      );
    }
    return <EmptyState icon="search" title="No such object">There is no object called “{object}”, or you may not read it.</EmptyState>;
  }

  const filtered = Boolean(state.filter);
  return (
    <div className="flex h-full flex-col bg-surface">
      <header className="flex h-12 shrink-0 items-center gap-2 border-b border-line px-3 sm:px-4">
        {/* The views menu shows which view is open; the page's heading is the object (for screen readers). */}
        <h1 className="sr-only">{meta.label_plural}</h1>
        <Icon name={objectIcon(meta.name)} size={16} className="shrink-0 text-muted" />
        <ViewsMenu
          meta={meta}
          viewId={state.viewId}
          current={{ filter: state.chipFilter, sort: state.sort, columns: state.columns }}
          onApply={(view) => state.applyView(view)}
        />
        <span className="hidden text-sm text-faint tabular-nums sm:inline" aria-live="polite" data-testid="record-count">
          {count.data !== undefined && count.data !== null ? numberFormat.format(count.data) : ""}
        </span>
        <div className="ml-auto flex items-center gap-2">
          {canCreate ? (
            <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>
              <span className="sr-only sm:not-sr-only">New {meta.singular}</span>
            </Button>
          ) : null}
        </div>
      </header>
      <div className="flex shrink-0 flex-wrap items-center gap-2 border-b border-line px-3 py-2 sm:px-4">
        <SearchInput value={state.q} onChange={state.setQ} label="Quick search" placeholder={`Search ${meta.label_plural.toLowerCase()}`} />
        <FilterBar meta={meta} chips={state.chips} onChange={state.setChips} />
        <div className="ml-auto flex items-center gap-1">
          {state.sort ? (
            <Button size="sm" variant="ghost" icon="x" onClick={() => state.setSort("")}>
              <span className="sr-only sm:not-sr-only">Clear sort</span>
            </Button>
          ) : null}
          <ColumnChooser meta={meta} columns={state.columns} onChange={state.setColumns} />
        </div>
      </div>
      {selected.length ? <BulkBar meta={meta} selected={selected} onClear={() => setSelection({})} /> : null}
      {list.error ? (
        <div className="p-4">
          <ErrorBanner error={list.error} onRetry={() => void list.refetch()} />
        </div>
      ) : null}
      {!list.isLoading && rows.length === 0 && !list.error ? (
        <ListEmptyState meta={meta} filtered={filtered} canCreate={canCreate} onCreate={() => setCreating(true)} />
      ) : narrow ? (
        <RecordCards
          meta={meta}
          rows={rows}
          columns={state.columns}
          hasNextPage={Boolean(list.hasNextPage)}
          isFetchingNextPage={list.isFetchingNextPage}
          fetchNextPage={() => void list.fetchNextPage()}
          loading={list.isLoading}
        />
      ) : (
        <RecordTable
          meta={meta}
          rows={rows}
          columns={state.columns}
          sort={state.sort}
          onSort={state.setSort}
          selection={selection}
          onSelection={setSelection}
          hasNextPage={Boolean(list.hasNextPage)}
          isFetchingNextPage={list.isFetchingNextPage}
          fetchNextPage={() => void list.fetchNextPage()}
          loading={list.isLoading}
        />
      )}
      {creating ? (
        <CreateRecordDialog
          meta={meta}
          open
          onClose={() => setCreating(false)}
          onCreated={(record) => {
            setCreating(false);
            navigate(`/${meta.name}/${record.id}`);
          }}
        />
      ) : null}
    </div>
  );
}
