/**
 * One column of a board: its header (title, count, amounts per currency), its cards 50 at a time (more load
 * as the user scrolls to the end, or with "Load more"), and the drop target around them.
 */
import { useDraggable, useDroppable } from "@dnd-kit/core";
import { useEffect, useRef, type KeyboardEvent, type ReactNode } from "react";
import { useRecordList } from "@/api/records";
import { formatMoney } from "@/lib/fields";
import type { RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { cx } from "@/ui/cx";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { Icon } from "@/ui/Icon";
import { MenuItem, Popover } from "@/ui/Popover";
import { Skeleton } from "@/ui/Skeleton";
import { useBoard } from "./Board";
import { columnQuery, useSince } from "./boardApi";
import { columnFilter, type BoardColumn } from "./boardLogic";
import { columnId } from "./keyboard";

const TONES: Record<BoardColumn["tone"], string> = {
  open: "bg-accent",
  won: "bg-success",
  lost: "bg-danger",
  closed: "bg-faint",
};

const countFormat = new Intl.NumberFormat();

function ColumnTotals({ column }: { column: BoardColumn }) {
  const { totals, totalsLoading } = useBoard();
  if (totalsLoading && !totals) {
    return <Skeleton className="mt-1 h-3 w-24" />;
  }
  const total = totals?.[column.value];
  const sums = total?.sums ?? [];
  return (
    <p className="mt-0.5 flex min-h-4 flex-wrap gap-x-2 text-xs text-muted tabular-nums" data-testid="column-totals">
      {sums.length ? sums.map((money) => <span key={money.currency}>{formatMoney(money)}</span>) : null}
      {column.probability !== null && column.probability !== undefined && column.tone === "open" ? (
        <span className="text-faint">{column.probability} %</span>
      ) : null}
    </p>
  );
}

function CardSkeleton() {
  return (
    <div className="k-card h-[92px] space-y-2.5 p-3" aria-hidden="true">
      <Skeleton className="h-3.5 w-40" />
      <Skeleton className="w-24" />
      <div className="flex justify-between pt-1">
        <Skeleton className="w-16" />
        <Skeleton className="h-5 w-5 rounded-full" />
      </div>
    </div>
  );
}

function CardMenu({ card, column }: { card: RecordData; column: BoardColumn }) {
  const board = useBoard();
  const entries = board.menu?.(card, column) ?? [];
  const targets = board.canMove && column.tone !== "closed" ? board.columns.filter((c) => c.value !== column.value) : [];
  const stop = (event: { stopPropagation: () => void }) => event.stopPropagation();
  return (
    // Clicks and keys inside the menu are the menu's: they must neither open the card nor start a drag.
    <span className="absolute top-1.5 right-1.5" onClick={stop} onKeyDown={stop} onMouseDown={stop} onTouchStart={stop}>
      <Popover
        align="end"
        label={`Actions for ${board.describe(card)}`}
        className="max-h-72 overflow-y-auto"
        trigger={({ toggle, open }) => (
          <button
            type="button"
            aria-label={`Actions for ${board.describe(card)}`}
            aria-expanded={open}
            onClick={toggle}
            className="rounded p-1 text-faint opacity-70 hover:bg-hover hover:text-fg focus-visible:opacity-100 sm:opacity-0 sm:group-hover:opacity-100"
          >
            <Icon name="dots" size={15} />
          </button>
        )}
      >
        {(close) => (
          <div role="menu">
            <MenuItem onSelect={() => { close(); board.open(card); }}>Open</MenuItem>
            {entries.map((entry) => (
              <MenuItem key={entry.label} onSelect={() => { close(); entry.onSelect(); }}>
                {entry.label}
              </MenuItem>
            ))}
            {targets.length ? <p className="px-2 pt-2 pb-1 text-[11px] font-semibold tracking-wide text-faint uppercase">Move to</p> : null}
            {targets.map((target) => (
              <MenuItem key={target.value} onSelect={() => { close(); board.moveTo(card, column.value, target); }}>
                {target.title}
              </MenuItem>
            ))}
          </div>
        )}
      </Popover>
    </span>
  );
}

function DraggableCard({ card, column, children }: { card: RecordData; column: BoardColumn; children: ReactNode }) {
  const board = useBoard();
  const disabled = !board.canMove || column.tone === "closed";
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, isDragging } = useDraggable({
    id: card.id,
    data: { card, column: column.value },
    disabled,
  });
  const ref = (node: HTMLElement | null) => {
    setNodeRef(node);
    setActivatorNodeRef(node);
  };
  const focused = board.focusId === card.id;
  const self = useRef<HTMLElement | null>(null);
  useEffect(() => {
    if (focused) self.current?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
  }, [focused]);
  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    listeners?.onKeyDown?.(event);
    // Enter opens the card, unless it is the Enter that drops a card being carried.
    if (event.key === "Enter" && event.target === event.currentTarget && !board.dragging && !event.defaultPrevented) {
      event.preventDefault();
      board.open(card);
    }
  };
  return (
    <article
      ref={(node) => {
        ref(node);
        self.current = node;
      }}
      {...attributes}
      {...listeners}
      role="listitem"
      // A card that cannot move still opens (Enter, click, its menu): it is not disabled, only not movable.
      aria-disabled={undefined}
      aria-pressed={undefined}
      aria-roledescription={disabled ? "card" : "movable card"}
      aria-label={board.describe(card)}
      onKeyDown={onKeyDown}
      onClick={() => {
        if (!board.wasDragging()) board.open(card);
      }}
      data-testid="board-card"
      data-card-id={card.id}
      className={cx(
        "group k-card relative p-3 text-left shadow-xs transition-shadow hover:shadow-sm",
        disabled ? "cursor-pointer" : "cursor-grab touch-manipulation",
        isDragging && "opacity-40",
        board.saving.has(card.id) && "opacity-70",
        focused && "ring-2 ring-accent",
      )}
    >
      {children}
      <CardMenu card={card} column={column} />
    </article>
  );
}

export function BoardColumnView({ column }: { column: BoardColumn }) {
  const board = useBoard();
  const query = columnQuery(columnFilter(board.field, column.value, board.quick), board.fields);
  const list = useRecordList(board.object, query);
  const pages = list.data?.pages.map((page) => page.items) ?? [];
  const since = useSince(board.object, board.field, pages);
  const cards = pages.flat();
  const closed = column.tone === "closed";
  const { setNodeRef, isOver } = useDroppable({
    id: columnId(column.value),
    data: { column },
    disabled: !board.canMove || (closed && !board.onDropClosed),
  });
  const count = board.totals?.[column.value]?.count;

  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    const node = sentinel.current;
    if (!node || !hasNextPage || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <section
      ref={setNodeRef}
      aria-label={column.title}
      data-testid="board-column"
      data-column={column.value}
      className={cx(
        "flex w-[calc(85vw-1.5rem)] max-w-80 shrink-0 snap-start flex-col rounded-xl border bg-subtle/60 sm:w-72",
        isOver ? "border-accent bg-accent-soft/40" : "border-line",
      )}
    >
      <header className="flex items-start gap-2 px-3 pt-2.5 pb-2">
        <span aria-hidden="true" className={cx("mt-1.5 h-2 w-2 shrink-0 rounded-full", TONES[column.tone])} />
        <div className="min-w-0 flex-1">
          <h2 className="flex items-baseline gap-1.5 text-sm font-semibold">
            <span className="truncate">{column.title}</span>
            <span className="text-xs font-normal text-muted tabular-nums" data-testid="column-count">
              {count !== undefined ? countFormat.format(count) : board.totals ? "0" : ""}
            </span>
          </h2>
          <ColumnTotals column={column} />
        </div>
        {board.onCreateIn && !closed ? (
          <Button
            size="sm"
            variant="ghost"
            icon="plus"
            aria-label={`${board.createLabel ?? "New"} in ${column.title}`}
            title={`${board.createLabel ?? "New"} in ${column.title}`}
            onClick={() => board.onCreateIn?.(column)}
          />
        ) : null}
      </header>
      {/* Only the cards are the list (an empty column has no list: a list needs items); the error, skeletons,
          empty hint and "load more" sit beside it. */}
      <div className="min-h-24 flex-1 space-y-2 overflow-y-auto px-2 pb-2" aria-busy={list.isLoading}>
        {list.error ? <ErrorBanner error={list.error} onRetry={() => void list.refetch()} /> : null}
        {list.isLoading ? Array.from({ length: 3 }, (_, i) => <CardSkeleton key={i} />) : null}
        {cards.length > 0 ? (
          <div className="space-y-2" role="list" aria-label={`${column.title} cards`}>
            {cards.map((card) => (
              <DraggableCard key={card.id} card={card} column={column}>
                {board.renderCard(card, {
                  column,
                  since: board.sinceOverrides[card.id] ?? since[card.id],
                  saving: board.saving.has(card.id),
                })}
              </DraggableCard>
            ))}
          </div>
        ) : null}
        {!list.isLoading && !list.error && cards.length === 0 ? (
          <p className="rounded-lg border border-dashed border-line px-3 py-6 text-center text-xs text-faint">
            {closed ? "Drop a card here to convert it" : board.canMove ? "Drop cards here" : "Nothing here"}
          </p>
        ) : null}
        {hasNextPage ? (
          <div ref={sentinel}>
            {isFetchingNextPage ? (
              <CardSkeleton />
            ) : (
              <Button size="sm" variant="ghost" className="w-full" onClick={() => void fetchNextPage()}>
                Load more
              </Button>
            )}
          </div>
        ) : null}
      </div>
    </section>
  );
}
