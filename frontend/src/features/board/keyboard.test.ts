import type { ClientRect, DraggableNode, SensorContext, SensorProps, UniqueIdentifier } from "@dnd-kit/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ColumnKeyboardSensor, KEYBOARD_CODES, type ColumnKeyboardOptions } from "./keyboard";

const ORDER = ["column:a", "column:b", "column:c", "column:d"];
/** Columns 288 px wide, 300 px apart; the card picked up in column a, 270 px wide. */
const PICKED_UP = { left: 9, top: 150, width: 270, height: 90 };

const rect = ({ left, top, width, height }: { left: number; top: number; width: number; height: number }): ClientRect => ({
  left,
  top,
  width,
  height,
  right: left + width,
  bottom: top + height,
});

function key(code: string): KeyboardEvent {
  return new KeyboardEvent("keydown", { code, bubbles: true, cancelable: true });
}

afterEach(() => {
  document.body.replaceChildren();
  vi.useRealTimers();
});

/**
 * A board as the sensor sees it: dnd-kit's context (measured columns, the card's rect) and a card picked up with
 * Space the way DndContext does it, from inside the Space's own dispatch (React's listener on the root).
 */
function pickUp({ measured = true, takesDrops = ORDER } = {}) {
  const card = document.createElement("article");
  document.body.append(card);
  const columns = new Map(ORDER.map((id) => [id, document.createElement("section")]));
  document.body.append(...columns.values());
  const rects = new Map<UniqueIdentifier, ClientRect>(
    ORDER.filter((id) => takesDrops.includes(id)).map((id) => [id, rect({ left: ORDER.indexOf(id) * 300, top: 100, width: 288, height: 600 })]),
  );
  const context = {
    current: {
      draggingNodeRect: measured ? rect(PICKED_UP) : null,
      droppableRects: rects,
      droppableContainers: { getNodeFor: (id: UniqueIdentifier) => columns.get(String(id)) },
      over: null,
    } as unknown as SensorContext,
  };
  const props = {
    onStart: vi.fn(),
    onMove: vi.fn(),
    onEnd: vi.fn(),
    onCancel: vi.fn(),
  };
  const activeNode = { id: "d1", node: { current: card }, activatorNode: { current: card }, data: { current: { column: "a" } } } as unknown as DraggableNode;
  const options: ColumnKeyboardOptions = { keyboardCodes: KEYBOARD_CODES, order: ORDER, columnOf: () => "column:a" };
  const space = key("Space");
  card.addEventListener("keydown", (event) => {
    if (event !== space) return;
    new ColumnKeyboardSensor({ ...props, active: "d1", activeNode, event, context, options } as unknown as SensorProps<ColumnKeyboardOptions>);
  });
  card.dispatchEvent(space);
  expect(props.onStart).toHaveBeenCalledTimes(1);
  const press = (code: string) => {
    const event = key(code);
    card.dispatchEvent(event);
    return event;
  };
  /** Where the card is put in a column whose left edge is at `left` (centred, under the header). */
  const at = (left: number) => ({ x: left + (288 - PICKED_UP.width) / 2 - PICKED_UP.left, y: 100 + 44 - PICKED_UP.top });
  return { ...props, context, columns, rects, press, at };
}

describe("carrying a card by keyboard", () => {
  it("carries the card one column per arrow, from the first arrow pressed after the pick-up", () => {
    const board = pickUp();
    // No timer has run since the Space: a user (or a test) may press the arrow at once.
    const right = board.press("ArrowRight");
    expect(right.defaultPrevented).toBe(true);
    expect(board.onMove).toHaveBeenLastCalledWith(board.at(300));
    // dnd-kit has not rendered the card over column b yet; the next arrow still goes on from b.
    board.press("ArrowRight");
    expect(board.onMove).toHaveBeenLastCalledWith(board.at(600));
    board.press("ArrowLeft");
    expect(board.onMove).toHaveBeenLastCalledWith(board.at(300));
    expect(board.onMove).toHaveBeenCalledTimes(3);
  });

  it("does not drop the card on the Space that picked it up, and drops it on the next", () => {
    const board = pickUp();
    expect(board.onEnd).not.toHaveBeenCalled();
    board.press("ArrowRight");
    expect(board.press("Space").defaultPrevented).toBe(true);
    expect(board.onEnd).toHaveBeenCalledTimes(1);
    // Dropped: the keys are the page's again.
    expect(board.press("ArrowRight").defaultPrevented).toBe(false);
    expect(board.onMove).toHaveBeenCalledTimes(1);
  });

  it("puts the card back on Escape", () => {
    const board = pickUp();
    board.press("ArrowRight");
    board.press("Escape");
    expect(board.onCancel).toHaveBeenCalledTimes(1);
    expect(board.onEnd).not.toHaveBeenCalled();
    board.press("Enter");
    expect(board.onEnd).not.toHaveBeenCalled();
  });

  it("stays put past the last column, skips columns that take no drops, and ignores Up and Down", () => {
    const board = pickUp({ takesDrops: ["column:a", "column:c", "column:d"] });
    expect(board.press("ArrowLeft").defaultPrevented).toBe(true);
    expect(board.press("ArrowDown").defaultPrevented).toBe(true);
    expect(board.onMove).not.toHaveBeenCalled();
    board.press("ArrowRight");
    expect(board.onMove).toHaveBeenLastCalledWith(board.at(600));
    board.press("ArrowRight");
    board.press("ArrowRight");
    expect(board.onMove).toHaveBeenCalledTimes(2);
    expect(board.onMove).toHaveBeenLastCalledWith(board.at(900));
  });

  it("scrolls a column that is off the board into view and puts the card where the column is then", () => {
    const board = pickUp();
    const off = board.columns.get("column:c") as HTMLElement;
    // The board scrolls 200 px to show column c; dnd-kit's measured rects follow the scroll.
    off.scrollIntoView = vi.fn(() => {
      for (const [id, r] of board.rects) board.rects.set(id, rect({ ...r, left: r.left - 200 }));
    });
    board.press("ArrowRight");
    board.press("ArrowRight");
    expect(off.scrollIntoView).toHaveBeenCalledWith({ block: "nearest", inline: "nearest", behavior: "instant" });
    expect(board.onMove).toHaveBeenLastCalledWith(board.at(400));
  });

  it("applies an arrow pressed before the pick-up was measured as soon as it is", () => {
    vi.useFakeTimers();
    const board = pickUp({ measured: false });
    board.press("ArrowRight");
    expect(board.onMove).not.toHaveBeenCalled();
    board.context.current.draggingNodeRect = rect(PICKED_UP);
    vi.advanceTimersByTime(10);
    expect(board.onMove).toHaveBeenCalledExactlyOnceWith(board.at(300));
  });
});
