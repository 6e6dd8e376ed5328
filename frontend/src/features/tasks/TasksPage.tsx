import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useObjectMeta } from "@/api/records";
import { useShortcuts } from "@/app/shortcuts";
import { useMe } from "@/auth/AuthProvider";
import type { RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { cx } from "@/ui/cx";
import { EmptyState } from "@/ui/EmptyState";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { Icon, type IconName } from "@/ui/Icon";
import { Kbd } from "@/ui/Kbd";
import { CreateTaskDialog } from "./CreateTaskDialog";
import { SECTIONS, type TaskSection } from "./dates";
import { refreshTaskViews, taskPermissions, useTaskCounts, useTaskList, useTaskVisibility, useToggleTask, type Visibility } from "./taskApi";
import { TaskRow, TaskRowSkeleton, type EditableField } from "./TaskRow";
import { useClock } from "./useClock";
import { useQueryClient } from "@tanstack/react-query";

const LABELS: Record<TaskSection, string> = {
  overdue: "Overdue",
  today: "Today",
  upcoming: "Upcoming",
  none: "No date",
  done: "Done",
};

const EMPTY: Record<TaskSection, { icon: IconName; title: string; text: string }> = {
  overdue: { icon: "check", title: "Nothing overdue", text: "You are all caught up. Open tasks whose day has passed show up here." },
  today: { icon: "calendar", title: "Nothing due today", text: "Plan something: create a task due today with n, or from any record with “Add task”." },
  upcoming: { icon: "calendar", title: "Nothing planned ahead", text: "Tasks due after today show up here. Give a task a later due date to plan it." },
  none: { icon: "note", title: "Every open task has a date", text: "Tasks created without a due date wait here until you give them one." },
  done: { icon: "check", title: "Nothing completed yet", text: "Tick a task (or select it and press x) to complete it; it moves here." },
};

function parseSection(value: string | null): TaskSection {
  return SECTIONS.includes(value as TaskSection) ? (value as TaskSection) : "today";
}

function othersLabel(visibility: Visibility): string {
  return visibility === "team" ? "My team" : "Everyone";
}

function SectionTabs({ section, counts, onChange }: { section: TaskSection; counts: Partial<Record<TaskSection, number>>; onChange: (s: TaskSection) => void }) {
  const refs = useRef<Partial<Record<TaskSection, HTMLButtonElement | null>>>({});
  const move = (step: number) => {
    const next = SECTIONS[(SECTIONS.indexOf(section) + step + SECTIONS.length) % SECTIONS.length]!;
    onChange(next);
    refs.current[next]?.focus();
  };
  return (
    <div
      role="tablist"
      aria-label="Sections"
      className="flex shrink-0 gap-1 overflow-x-auto border-b border-line px-2 sm:px-3"
      onKeyDown={(e) => {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          e.preventDefault();
          move(e.key === "ArrowRight" ? 1 : -1);
        }
      }}
    >
      {SECTIONS.map((s) => {
        const count = counts[s];
        const selected = s === section;
        return (
          <button
            key={s}
            ref={(el) => {
              refs.current[s] = el;
            }}
            type="button"
            role="tab"
            id={`tasks-tab-${s}`}
            aria-selected={selected}
            aria-controls="tasks-panel"
            tabIndex={selected ? 0 : -1}
            onClick={() => onChange(s)}
            className={cx(
              "-mb-px flex h-10 shrink-0 items-center gap-1.5 border-b-2 px-2.5 text-sm whitespace-nowrap",
              selected ? "border-accent font-medium text-fg" : "border-transparent text-muted hover:text-fg",
            )}
          >
            {LABELS[s]}
            <span
              data-testid={`count-${s}`}
              className={cx(
                "inline-block min-w-[1.5rem] rounded-full px-1.5 text-center text-xs tabular-nums",
                s === "overdue" && count ? "bg-danger-soft text-danger" : "bg-subtle text-muted",
              )}
            >
              {count === undefined ? "\u00a0" : count}
            </span>
          </button>
        );
      })}
    </div>
  );
}

function WhoSwitch({ everyone, visibility, onChange }: { everyone: boolean; visibility: Visibility; onChange: (everyone: boolean) => void }) {
  const option = (value: boolean, label: string) => (
    <button
      type="button"
      aria-pressed={everyone === value}
      onClick={() => onChange(value)}
      className={cx("h-7 rounded px-2.5 text-xs font-medium", everyone === value ? "bg-surface text-fg shadow-xs" : "text-muted hover:text-fg")}
    >
      {label}
    </button>
  );
  return (
    <div role="group" aria-label="Whose tasks" className="flex rounded-md bg-subtle p-0.5">
      {option(false, "Mine")}
      {option(true, othersLabel(visibility))}
    </div>
  );
}

/**
 * My tasks (issue #6): open tasks by when they are due (overdue, today, upcoming, no date) and the done ones,
 * mine by default or everyone's the role lets me see. Keyboard: j/k move, x or Space ticks, e renames, Enter
 * opens, n creates.
 */
export default function TasksPage() {
  const me = useMe();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const section = parseSection(params.get("show"));
  const visibility = useTaskVisibility();
  const canSeeOthers = visibility === "team" || visibility === "all";
  const everyone = canSeeOthers && params.get("who") === "all";
  const assigneeId = everyone ? null : me.user.id;
  const { now, bounds } = useClock();
  const { meta, error: metaError } = useObjectMeta("activities");
  const counts = useTaskCounts(bounds, assigneeId);
  const list = useTaskList(section, bounds, assigneeId);
  const { toggle, errors, dismiss } = useToggleTask();
  const rows = useMemo<RecordData[]>(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const [selected, setSelected] = useState(-1);
  const [editing, setEditing] = useState<{ id: string; field: EditableField } | null>(null);
  const [creating, setCreating] = useState(false);
  const rowRefs = useRef(new Map<string, HTMLLIElement>());
  const { create: canCreate, update: canUpdate } = taskPermissions(meta);

  const setParam = (key: string, value: string | null) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );

  useEffect(() => {
    setSelected(-1);
    setEditing(null);
  }, [section, everyone]);

  const focusRow = useCallback((index: number) => {
    const row = rows[index];
    const element = row ? rowRefs.current.get(row.id) : undefined;
    element?.focus({ preventScroll: true });
    element?.scrollIntoView?.({ block: "nearest" });
  }, [rows]);

  const move = (step: number) => {
    if (!rows.length) return;
    const next = Math.max(0, Math.min(rows.length - 1, selected + step));
    if (step > 0 && next === rows.length - 1 && list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
    setSelected(next);
    focusRow(next);
  };
  const current = selected >= 0 ? rows[Math.min(selected, rows.length - 1)] : undefined;

  useShortcuts(
    {
      j: () => move(1),
      k: () => move(-1),
      x: () => current && canUpdate && void toggle(current),
      e: () => current && canUpdate && setEditing({ id: current.id, field: "subject" }),
      Enter: () => current && navigate(`/activities/${current.id}`),
      n: () => canCreate && setCreating(true),
    },
    !editing,
  );

  const endEdit = (field: EditableField) => {
    const id = editing?.id;
    setEditing(null);
    // A new due date can move the task to another section: refresh the lists and counts now.
    if (field === "due_at") refreshTaskViews(client, "now");
    if (id) requestAnimationFrame(() => rowRefs.current.get(id)?.focus({ preventScroll: true }));
  };

  const empty = EMPTY[section];
  return (
    <div className="flex h-full flex-col bg-surface">
      <header className="flex h-12 shrink-0 items-center gap-2 border-b border-line px-3 sm:px-4">
        <Icon name="check" size={16} className="shrink-0 text-muted" />
        <h1 className="truncate text-sm font-semibold">{everyone ? `Tasks · ${othersLabel(visibility ?? "all")}` : "My tasks"}</h1>
        <div className="ml-auto flex items-center gap-2">
          {canSeeOthers ? <WhoSwitch everyone={everyone} visibility={visibility} onChange={(value) => setParam("who", value ? "all" : null)} /> : null}
          {/* "New task" is in the shell's top bar (and on n here); a second button would only repeat it. */}
        </div>
      </header>
      <SectionTabs section={section} counts={counts} onChange={(s) => setParam("show", s === "today" ? null : s)} />
      <div id="tasks-panel" role="tabpanel" aria-labelledby={`tasks-tab-${section}`} className="min-h-0 flex-1 overflow-y-auto">
        {metaError || list.error ? (
          <div className="p-4">
            <ErrorBanner error={metaError ?? list.error} title="Tasks could not be loaded" onRetry={() => void list.refetch()} />
          </div>
        ) : list.isLoading || !meta ? (
          <ul aria-busy="true" aria-label="Loading tasks">
            {Array.from({ length: 8 }, (_, i) => (
              <TaskRowSkeleton key={i} />
            ))}
          </ul>
        ) : rows.length === 0 ? (
          <EmptyState icon={empty.icon} title={everyone && section !== "done" ? empty.title.replace("Nothing", "No one has anything") : empty.title}>
            <p>{empty.text}</p>
            {canCreate && section !== "done" && section !== "overdue" ? (
              <Button className="mt-3" icon="plus" onClick={() => setCreating(true)}>
                New task
              </Button>
            ) : null}
          </EmptyState>
        ) : (
          <>
            <ul aria-label={`${LABELS[section]} tasks`}>
              {rows.map((task, index) => (
                <TaskRow
                  key={task.id}
                  ref={(el) => {
                    if (el) rowRefs.current.set(task.id, el);
                    else rowRefs.current.delete(task.id);
                  }}
                  task={task}
                  meta={meta}
                  now={now}
                  canUpdate={canUpdate}
                  selected={index === selected}
                  editing={editing?.id === task.id ? editing.field : null}
                  onEdit={(field) => (field ? setEditing({ id: task.id, field }) : endEdit(editing?.field ?? "subject"))}
                  onToggle={() => void toggle(task)}
                  onSelect={() => setSelected(index)}
                  error={errors[task.id]}
                  onDismissError={() => dismiss(task.id)}
                />
              ))}
            </ul>
            {list.hasNextPage ? (
              <div className="flex justify-center p-3">
                <Button size="sm" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
                  Show more
                </Button>
              </div>
            ) : null}
            <p className="hidden px-4 py-3 text-xs text-faint sm:block">
              <Kbd>j</Kbd> <Kbd>k</Kbd> move · <Kbd>x</Kbd> done · <Kbd>e</Kbd> rename · <Kbd>Enter</Kbd> open · <Kbd>n</Kbd> new task
            </p>
          </>
        )}
      </div>
      {creating ? <CreateTaskDialog open onClose={() => setCreating(false)} /> : null}
    </div>
  );
}
