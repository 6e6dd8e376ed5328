/**
 * A vertical list reordered by dragging a handle, with the mouse, a finger or the keyboard (focus a handle,
 * Space to lift, arrow keys to move, Space to drop, Escape to cancel): dnd-kit's sortable preset, with
 * announcements that name the item rather than its id.
 */
import {
  closestCenter,
  DndContext,
  KeyboardSensor,
  PointerSensor,
  TouchSensor,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
} from "@dnd-kit/core";
import { arrayMove, SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import type { ReactNode } from "react";
import { cx } from "@/ui/cx";

function DragHandle({ label, listeners, attributes, disabled }: { label: string; listeners: unknown; attributes: object; disabled?: boolean }) {
  return (
    <button
      type="button"
      aria-label={`Reorder ${label}`}
      disabled={disabled}
      className="flex h-8 w-6 shrink-0 cursor-grab touch-none items-center justify-center rounded text-faint hover:bg-hover hover:text-fg disabled:cursor-default disabled:opacity-40 active:cursor-grabbing"
      {...attributes}
      {...(listeners as object)}
    >
      <svg width="12" height="16" viewBox="0 0 12 16" aria-hidden="true" fill="currentColor">
        {[3, 8, 13].map((y) => (
          <g key={y}>
            <circle cx="3.5" cy={y} r="1.3" />
            <circle cx="8.5" cy={y} r="1.3" />
          </g>
        ))}
      </svg>
    </button>
  );
}

function SortableRow({ id, label, disabled, className, children }: { id: string; label: string; disabled?: boolean; className?: string; children: (handle: ReactNode) => ReactNode }) {
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({ id, disabled: Boolean(disabled) });
  return (
    <li
      ref={setNodeRef}
      style={{ transform: CSS.Transform.toString(transform), transition }}
      className={cx(className, isDragging && "relative z-10 shadow-pop")}
      data-sortable-id={id}
    >
      {children(<DragHandle label={label} listeners={listeners} attributes={attributes} disabled={disabled} />)}
    </li>
  );
}

export function SortableList<T>({
  items,
  idOf,
  labelOf,
  onReorder,
  children,
  label,
  disabled,
  className,
  rowClassName,
}: {
  items: T[];
  idOf: (item: T) => string;
  labelOf: (item: T) => string;
  onReorder: (items: T[]) => void;
  children: (item: T, handle: ReactNode, index: number) => ReactNode;
  label: string;
  disabled?: boolean;
  className?: string;
  rowClassName?: string;
}) {
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 4 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 150, tolerance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const ids = items.map(idOf);
  const name = (id: unknown) => {
    const item = items.find((i) => idOf(i) === id);
    return item ? labelOf(item) : String(id);
  };
  const position = (id: unknown) => ids.indexOf(String(id)) + 1;
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${name(active.id)}, position ${position(active.id)} of ${ids.length}.`,
    onDragOver: ({ active, over }) => {
      if (!over) return `${name(active.id)} is no longer over the list.`;
      const where = `position ${position(over.id)} of ${ids.length}`;
      return over.id === active.id ? `${name(active.id)} is at ${where}.` : `${name(active.id)} moved to ${where}.`;
    },
    onDragEnd: ({ active, over }) => (over ? `${name(active.id)} dropped at position ${position(over.id)} of ${ids.length}.` : `${name(active.id)} dropped.`),
    onDragCancel: ({ active }) => `Moving ${name(active.id)} was cancelled.`,
  };
  const onDragEnd = ({ active, over }: DragEndEvent) => {
    if (!over || active.id === over.id) return;
    const from = ids.indexOf(String(active.id));
    const to = ids.indexOf(String(over.id));
    if (from < 0 || to < 0) return;
    onReorder(arrayMove(items, from, to));
  };
  return (
    <DndContext
      sensors={sensors}
      collisionDetection={closestCenter}
      onDragEnd={onDragEnd}
      accessibility={{
        announcements,
        screenReaderInstructions: { draggable: "Press Space to lift, the arrow keys to move, Space again to drop, Escape to cancel." },
      }}
    >
      <SortableContext items={ids} strategy={verticalListSortingStrategy} disabled={disabled}>
        <ul aria-label={label} className={className}>
          {items.map((item, index) => (
            <SortableRow key={idOf(item)} id={idOf(item)} label={labelOf(item)} disabled={disabled} className={rowClassName}>
              {(handle) => children(item, handle, index)}
            </SortableRow>
          ))}
        </ul>
      </SortableContext>
    </DndContext>
  );
}
