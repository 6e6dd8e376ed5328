/**
 * A board: one column per value of a field (a pipeline's stages, a select's options), each paging its own
 * cards, and cards that move between columns by mouse, touch or keyboard (dnd-kit). The page that uses it says
 * what a card shows, how a move is written, and what happens on a column that takes no drops.
 */
import {
  DndContext,
  DragOverlay,
  MouseSensor,
  TouchSensor,
  useSensor,
  useSensors,
  type DragEndEvent,
  type DragStartEvent,
} from "@dnd-kit/core";
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { errorMessage } from "@/api/problem";
import type { FilterNode, RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Icon } from "@/ui/Icon";
import { columnKey, columnQuery } from "./boardApi";
import { columnFilter, type BoardColumn, type Totals } from "./boardLogic";
import { BoardColumnView } from "./BoardColumn";
import {
  announcements,
  boardCollisions,
  ColumnKeyboardSensor,
  columnId,
  KEYBOARD_CODES,
  SCREEN_READER_INSTRUCTIONS,
  type ColumnKeyboardOptions,
} from "./keyboard";
import { moveCard } from "./moves";

export interface CardContext {
  column: BoardColumn;
  /** ISO instant the card entered its column, once known. */
  since: string | undefined;
  /** The card's move is on its way to the server. */
  saving: boolean;
}

export interface MenuEntry {
  label: string;
  onSelect: () => void;
}

export interface BoardProps {
  object: string;
  /** The field a column stands for: stage_id, status. */
  field: string;
  columns: BoardColumn[];
  /** Quick filters (owner, search) on top of each column's own. */
  quick: FilterNode | null;
  /** Fields a card needs (the list's projection). */
  fields: string[];
  /** Prefix of this board's totals queries, shifted by a move. */
  totalsKey: readonly unknown[];
  totals: Totals | undefined;
  totalsLoading: boolean;
  canMove: boolean;
  /** Write the move; resolves to the stored record. */
  send: (card: RecordData, to: BoardColumn) => Promise<RecordData>;
  /** After a stored move (e.g. say the deal is won). */
  onMoved?: (saved: RecordData, to: BoardColumn) => void;
  /** A drop on a `closed` column (leads: converted) is not a move: the page decides (opens the conversion). */
  onDropClosed?: (card: RecordData, to: BoardColumn) => void;
  renderCard: (card: RecordData, context: CardContext) => ReactNode;
  describe: (card: RecordData) => string;
  open: (card: RecordData) => void;
  menu?: (card: RecordData, column: BoardColumn) => MenuEntry[];
  onCreateIn?: (column: BoardColumn) => void;
  createLabel?: string;
  /** Highlight (and scroll to) this card when it is loaded. */
  focusId?: string | null;
}

interface MoveError {
  title: string;
  column: string;
  message: string;
}

interface BoardState extends BoardProps {
  sinceOverrides: Record<string, string>;
  saving: Set<string>;
  dragging: boolean;
  wasDragging: () => boolean;
  moveTo: (card: RecordData, from: string, to: BoardColumn) => void;
}

const BoardContext = createContext<BoardState | null>(null);

export function useBoard(): BoardState {
  const board = useContext(BoardContext);
  if (!board) throw new Error("useBoard outside a Board");
  return board;
}

interface ActiveCard {
  card: RecordData;
  column: string;
}

export function Board(props: BoardProps) {
  const { object, field, columns, quick, fields, totalsKey, send, onMoved, onDropClosed } = props;
  const client = useQueryClient();
  const [active, setActive] = useState<ActiveCard | null>(null);
  const [error, setError] = useState<MoveError | null>(null);
  const [sinceOverrides, setSinceOverrides] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState<Set<string>>(new Set());
  const justDragged = useRef(false);

  const order = useMemo(() => columns.map((c) => columnId(c.value)), [columns]);
  const byId = useMemo(() => new Map(columns.map((c) => [columnId(c.value), c])), [columns]);
  const cards = useRef(new Map<string, ActiveCard>());

  const keyboard = useMemo<ColumnKeyboardOptions>(
    () => ({
      keyboardCodes: KEYBOARD_CODES,
      order,
      columnOf: (card) => {
        const origin = card.data.current as ActiveCard | undefined;
        return origin ? columnId(origin.column) : null;
      },
    }),
    [order],
  );
  const sensors = useSensors(
    useSensor(MouseSensor, { activationConstraint: { distance: 6 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 250, tolerance: 8 } }),
    useSensor(ColumnKeyboardSensor, keyboard),
  );

  const forget = (id: string) => {
    setSaving((current) => {
      const next = new Set(current);
      next.delete(id);
      return next;
    });
    setSinceOverrides(({ [id]: _gone, ...rest }) => rest);
  };

  const moveTo = useCallback(
    (card: RecordData, from: string, to: BoardColumn) => {
      if (from === to.value) return;
      if (to.tone === "closed") {
        onDropClosed?.(card, to);
        return;
      }
      const key = (value: string) => columnKey(object, columnQuery(columnFilter(field, value, quick), fields));
      setError(null);
      setSaving((current) => new Set(current).add(card.id));
      setSinceOverrides((current) => ({ ...current, [card.id]: new Date().toISOString() }));
      moveCard(client, {
        object,
        field,
        card,
        from,
        to: to.value,
        fromKey: key(from),
        toKey: key(to.value),
        totalsKey,
        send: () => send(card, to),
      })
        .then(async (saved) => {
          onMoved?.(saved, to);
          // The clock restarts on the server too: read it back, then drop our guess.
          await client.invalidateQueries({ queryKey: ["records", object, "since"] });
          forget(card.id);
        })
        .catch((reason: unknown) => {
          forget(card.id);
          setError({ title: props.describe(card), column: to.title, message: errorMessage(reason) });
        });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- props.describe is read when the move fails
    [client, object, field, quick, fields, totalsKey, send, onMoved, onDropClosed],
  );

  const onDragStart = ({ active: dragged }: DragStartEvent) => {
    justDragged.current = true;
    const origin = dragged.data.current as ActiveCard | undefined;
    if (origin) {
      cards.current.set(String(dragged.id), origin);
      setActive(origin);
    }
  };

  const onDragEnd = ({ active: dragged, over }: DragEndEvent) => {
    setActive(null);
    // The click that ends a mouse drag must not open the card.
    setTimeout(() => (justDragged.current = false), 0);
    const origin = dragged.data.current as ActiveCard | undefined;
    const target = over ? byId.get(String(over.id)) : undefined;
    if (origin && target) moveTo(origin.card, origin.column, target);
  };

  const describeCard = (id: string | number) => {
    const origin = cards.current.get(String(id));
    return origin ? props.describe(origin.card) : "the card";
  };
  const describeColumn = (id: string | number) => byId.get(String(id))?.title ?? "a column";

  const state: BoardState = {
    ...props,
    sinceOverrides,
    saving,
    dragging: active !== null,
    wasDragging: () => justDragged.current,
    moveTo,
  };

  return (
    <BoardContext.Provider value={state}>
      {error ? (
        <div role="alert" className="mx-3 mt-3 flex items-start gap-3 rounded-lg border border-danger/30 bg-danger-soft px-3 py-2.5 text-sm sm:mx-4">
          <Icon name="alert" className="mt-0.5 shrink-0 text-danger" />
          <p className="min-w-0 flex-1">
            <span className="font-medium">“{error.title}” was not moved to {error.column}.</span>{" "}
            <span className="text-muted">{error.message}</span>
          </p>
          <Button size="sm" variant="ghost" onClick={() => setError(null)} aria-label="Dismiss">
            Dismiss
          </Button>
        </div>
      ) : null}
      <DndContext
        sensors={sensors}
        collisionDetection={boardCollisions}
        onDragStart={onDragStart}
        onDragEnd={onDragEnd}
        onDragCancel={() => {
          setActive(null);
          setTimeout(() => (justDragged.current = false), 0);
        }}
        accessibility={{
          announcements: announcements(describeCard, describeColumn),
          screenReaderInstructions: { draggable: SCREEN_READER_INSTRUCTIONS },
        }}
      >
        <div
          className="flex min-h-0 flex-1 snap-x snap-mandatory gap-3 overflow-x-auto p-3 sm:snap-none sm:p-4"
          data-testid="board"
        >
          {columns.map((column) => (
            <BoardColumnView key={column.value} column={column} />
          ))}
        </div>
        <DragOverlay dropAnimation={null}>
          {active ? (
            <div className="k-card w-[calc(85vw-1.5rem)] max-w-72 rotate-1 cursor-grabbing p-3 shadow-pop sm:w-72">
              {props.renderCard(active.card, {
                column: columns.find((c) => c.value === active.column) as BoardColumn,
                since: undefined,
                saving: false,
              })}
            </div>
          ) : null}
        </DragOverlay>
      </DndContext>
    </BoardContext.Provider>
  );
}
