/**
 * Moving a card without a mouse: focus it, Space picks it up, Left/Right carry it to the previous/next column,
 * Space or Enter drops it, Escape puts it back. ColumnKeyboardSensor (below) does the carrying: each arrow puts
 * the card at the top of the neighbouring column, so the drop lands in that column whatever its length.
 */
import {
  pointerWithin,
  rectIntersection,
  type Activators,
  type Announcements,
  type ClientRect,
  type CollisionDetection,
  type DraggableNode,
  type KeyboardCodes,
  type SensorInstance,
  type SensorProps,
  type UniqueIdentifier,
} from "@dnd-kit/core";
import type { KeyboardEvent as ReactKeyboardEvent } from "react";

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

export interface ColumnKeyboardOptions {
  keyboardCodes?: KeyboardCodes;
  /** The columns' droppable ids, left to right. */
  order: string[];
  /** The droppable id of the column the card is picked up from. */
  columnOf: (card: DraggableNode) => string | null;
}

/** How far below a column's top a carried card is put: under the column's header. */
const BELOW_HEADER = 44;

/**
 * dnd-kit's KeyboardSensor, reduced to what a board needs and without its two races:
 * - it starts listening for keys in a `setTimeout` after the pick-up (so that the Space that picked the card up
 *   does not drop it at once). That timer waits behind the pick-up's rendering and Chromium runs input before
 *   timers, so an arrow pressed just after "Picked up" was announced was now and then lost: the card stayed and
 *   only a second press moved it. This sensor listens at once and skips that one Space.
 * - when the next column is past the board's edge it scrolls the board smoothly and moves the card short of the
 *   column by the distance scrolled, so the card is over the column only once the scroll has ended. This one
 *   scrolls the column into view at once and puts the card in it: the next render has it over that column.
 * Moves start from the column the card was last put in, not from dnd-kit's `over`, which trails a render.
 */
export class ColumnKeyboardSensor implements SensorInstance {
  static activators: Activators<ColumnKeyboardOptions> = [
    {
      eventName: "onKeyDown",
      handler: ({ nativeEvent: event }: ReactKeyboardEvent, { keyboardCodes = KEYBOARD_CODES }, { active }) => {
        if (!keyboardCodes.start.includes(event.code)) return false;
        // Space on something inside the card (its menu button) is that thing's, not a pick-up.
        if (active.activatorNode.current && event.target !== active.activatorNode.current) return false;
        event.preventDefault();
        return true;
      },
    },
  ];

  autoScrollEnabled = false;
  private column: string | null = null;
  /** Arrows pressed before dnd-kit has measured the card: applied as soon as it has. */
  private pending: (1 | -1)[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private waited = 0;
  private readonly document: Document;
  private readonly window: Window;

  constructor(private readonly props: SensorProps<ColumnKeyboardOptions>) {
    const target = props.event.target;
    this.document = target instanceof Node && target.ownerDocument ? target.ownerDocument : document;
    this.window = this.document.defaultView ?? window;
    this.document.addEventListener("keydown", this.onKeyDown);
    this.document.addEventListener("visibilitychange", this.cancel);
    this.window.addEventListener("resize", this.cancel);
    props.activeNode.node.current?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
    props.onStart({ x: 0, y: 0 });
  }

  private readonly onKeyDown = (event: KeyboardEvent) => {
    // The key that picked the card up reaches the document after this listener was added: it is not a drop.
    if (event === this.props.event) return;
    const codes = { ...KEYBOARD_CODES, ...this.props.options.keyboardCodes };
    if (codes.end.includes(event.code)) {
      event.preventDefault();
      this.detach();
      this.props.onEnd();
    } else if (codes.cancel.includes(event.code)) {
      this.cancel(event);
    } else if (event.code === "ArrowLeft" || event.code === "ArrowRight") {
      event.preventDefault();
      this.pending.push(event.code === "ArrowRight" ? 1 : -1);
      this.flush();
    } else if (event.code === "ArrowUp" || event.code === "ArrowDown") {
      // A column's order is the server's: nothing to move, and the page must not scroll under the card either.
      event.preventDefault();
    }
  };

  private readonly flush = () => {
    this.timer = null;
    const { draggingNodeRect } = this.props.context.current;
    if (draggingNodeRect) {
      for (const step of this.pending.splice(0)) this.carry(step, draggingNodeRect);
    } else if (this.pending.length && this.waited++ < 50) {
      // The pick-up has not rendered yet (it normally has by the next key): try again after this task.
      this.timer = setTimeout(this.flush, 10);
    }
  };

  /** One column left or right; `card` is the carried card's rect where it was picked up. */
  private carry(step: 1 | -1, card: ClientRect): void {
    const { droppableRects, droppableContainers, over } = this.props.context.current;
    const from = this.column ?? this.props.options.columnOf(this.props.activeNode) ?? (over ? String(over.id) : null);
    const target = neighbour(this.props.options.order, (id) => droppableRects.has(id), from, step);
    if (!target) return;
    // Instantly, so that the rect read next is where the column now is (dnd-kit's rects follow the scroll).
    droppableContainers.getNodeFor(target)?.scrollIntoView?.({ block: "nearest", inline: "nearest", behavior: "instant" });
    const rect = droppableRects.get(target);
    if (!rect) return;
    this.column = target;
    // dnd-kit draws the card at its pick-up rect moved by these coordinates.
    this.props.onMove({
      x: rect.left + Math.max(0, (rect.width - card.width) / 2) - card.left,
      y: rect.top + BELOW_HEADER - card.top,
    });
  }

  private readonly cancel = (event: Event) => {
    event.preventDefault();
    this.detach();
    this.props.onCancel();
  };

  private detach(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.pending = [];
    this.document.removeEventListener("keydown", this.onKeyDown);
    this.document.removeEventListener("visibilitychange", this.cancel);
    this.window.removeEventListener("resize", this.cancel);
  }
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
