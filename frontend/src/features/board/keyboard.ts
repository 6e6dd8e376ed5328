/**
 * Moving a card without a mouse: focus it, Space picks it up, Left/Right carry it to the previous/next column,
 * Space or Enter drops it, Escape puts it back. dnd-kit's KeyboardSensor moves the card to the coordinates we
 * return; we return the top of the neighbouring column, so the drop lands in that column whatever its length.
 */
import {
  pointerWithin,
  rectIntersection,
  type Announcements,
  type CollisionDetection,
  type KeyboardCodes,
  type KeyboardCoordinateGetter,
  type UniqueIdentifier,
} from "@dnd-kit/core";

export const KEYBOARD_CODES: KeyboardCodes = {
  start: ["Space"],
  cancel: ["Escape"],
  end: ["Space", "Enter"],
};

export const columnId = (value: string) => `column:${value}`;

/** The droppable id `steps` columns away from `current` (skipping columns that take no drops), or null. */
export function neighbour(order: string[], enabled: (id: string) => boolean, current: string | null, steps: 1 | -1): string | null {
  let index = current === null ? -1 : order.indexOf(current);
  if (index < 0) return null;
  for (index += steps; index >= 0 && index < order.length; index += steps) {
    const id = order[index] as string;
    if (enabled(id)) return id;
  }
  return null;
}

/** Left/Right: to the neighbouring column; Up/Down do nothing (a column's order is the server's). */
export function columnCoordinates(order: string[], origin: (active: UniqueIdentifier) => string | null): KeyboardCoordinateGetter {
  return (event, { active, context }) => {
    if (!["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].includes(event.code)) return undefined;
    event.preventDefault();
    const { collisionRect, droppableRects, over } = context;
    if (!collisionRect || (event.code !== "ArrowLeft" && event.code !== "ArrowRight")) return undefined;
    const current = over ? String(over.id) : origin(active);
    const target = neighbour(order, (id) => droppableRects.has(id), current, event.code === "ArrowRight" ? 1 : -1);
    const rect = target ? droppableRects.get(target) : undefined;
    if (!rect) return undefined;
    return { x: rect.left + Math.max(0, (rect.width - collisionRect.width) / 2), y: rect.top + 44 };
  };
}

/** The pointer's column when there is a pointer; the overlapped column for the keyboard. */
export const boardCollisions: CollisionDetection = (args) => {
  if (args.pointerCoordinates) {
    const within = pointerWithin(args);
    if (within.length) return within;
  }
  return rectIntersection(args);
};

/** What a screen reader hears while a card moves (dnd-kit reads them in a live region). */
export function announcements(describeCard: (id: UniqueIdentifier) => string, describeColumn: (id: UniqueIdentifier) => string): Announcements {
  return {
    onDragStart: ({ active }) =>
      `Picked up ${describeCard(active.id)}. Use the left and right arrow keys to move it to another column, space to drop it, escape to cancel.`,
    onDragOver: ({ active, over }) =>
      over ? `${describeCard(active.id)} is over ${describeColumn(over.id)}.` : `${describeCard(active.id)} is not over a column.`,
    onDragEnd: ({ active, over }) =>
      over ? `${describeCard(active.id)} dropped in ${describeColumn(over.id)}.` : `${describeCard(active.id)} put back.`,
    onDragCancel: ({ active }) => `Moving ${describeCard(active.id)} was cancelled; it is back where it was.`,
  };
}

export const SCREEN_READER_INSTRUCTIONS =
  "To move a card, press space to pick it up, the left and right arrow keys to choose a column, and space again to drop it. Escape cancels. Enter opens the card.";
