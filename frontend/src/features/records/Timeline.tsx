import { ApiError } from "@/api/problem";
import { useHistory, useObjectMeta, useRecordList } from "@/api/records";
import { formatDateTime, formatRelativeTime, optionLabel, recordTitle } from "@/lib/fields";
import type { ObjectMeta, RecordData } from "@/lib/types";
import { Avatar } from "@/ui/Avatar";
import { Button } from "@/ui/Button";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { Icon, type IconName } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { Link } from "react-router";
import { groupChangeSets, shownValue, type ChangeSet } from "./history";
import { TaskDueLabel, TaskToggle } from "@/features/tasks/TaskRow";

type Entry = { kind: "changes"; at: string; set: ChangeSet } | { kind: "activity"; at: string; activity: RecordData };

const KIND_ICONS: Record<string, IconName> = { note: "note", call: "phone", meeting: "calendar", email: "mail", task: "activity" };

function ChangeEntry({ set }: { set: ChangeSet }) {
  const created = set.op === "create";
  const fields = set.items.filter((i) => !["id", "version", "created_at", "updated_at"].includes(i.field));
  return (
    <div className="flex gap-3">
      <Avatar name={set.actor} size={22} />
      <div className="min-w-0 flex-1 pb-1">
        <p className="text-sm">
          <span className="font-medium">{set.actor}</span>{" "}
          <span className="text-muted">
            {created ? "created the record" : set.op === "delete" ? "deleted the record" : set.op === "restore" ? "restored the record" : `changed ${fields.length === 1 ? fields[0]?.field_label : `${fields.length} fields`}`}
          </span>
          <span className="text-xs text-faint" title={formatDateTime(set.at)}> · {formatRelativeTime(set.at)}</span>
        </p>
        {!created && fields.length ? (
          <ul className="mt-1.5 space-y-1 rounded-md border border-line bg-subtle/60 px-2.5 py-1.5 text-[13px]">
            {fields.slice(0, 6).map((item) => (
              <li key={item.id} className="flex min-w-0 flex-wrap items-center gap-1.5">
                <span className="text-muted">{item.field_label}</span>
                <span className="truncate text-faint line-through">{shownValue(item, item.old_display, item.old_value) || "empty"}</span>
                <Icon name="chevronRight" size={12} className="text-faint" />
                <span className="truncate font-medium">{shownValue(item, item.new_display, item.new_value) || "empty"}</span>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}

function ActivityEntry({ activity, meta }: { activity: RecordData; meta: ObjectMeta | undefined }) {
  const kindField = meta?.fields.find((f) => f.name === "kind");
  const kind = String(activity.kind ?? "note");
  return (
    <div className="flex gap-3">
      <span className="flex h-[22px] w-[22px] shrink-0 items-center justify-center rounded-full bg-accent-soft text-accent-text">
        <Icon name={KIND_ICONS[kind] ?? "note"} size={12} />
      </span>
      <div className="min-w-0 flex-1 rounded-md border border-line bg-surface px-3 py-2">
        <p className="flex items-center gap-2 text-sm">
          {kind === "task" ? <TaskToggle task={activity} title={recordTitle(meta, activity)} /> : null}
          <span className="text-xs font-medium text-muted uppercase">{kindField ? optionLabel(kindField, kind) : kind}</span>
          <Link to={`/activities/${activity.id}`} className="truncate font-medium hover:underline">
            {recordTitle(meta, activity)}
          </Link>
          {kind === "task" ? <TaskDueLabel task={activity} /> : null}
          {activity.done ? <span className="rounded bg-success-soft px-1.5 text-xs text-success">Done</span> : null}
          <span className="ml-auto shrink-0 text-xs text-faint">{formatRelativeTime(String(activity.created_at))}</span>
        </p>
        {typeof activity.body === "string" && activity.body ? <p className="mt-1 line-clamp-3 text-sm whitespace-pre-line text-muted">{activity.body}</p> : null}
      </div>
    </div>
  );
}

/** Activities linked to the record and its field changes, newest first, in one stream. */
export function Timeline({ object, id }: { object: string; id: string }) {
  const history = useHistory(object, id);
  const { meta: activitiesMeta } = useObjectMeta("activities");
  const linkField = activitiesMeta?.fields.find((f) => f.type === "record_link");
  const activities = useRecordList(
    "activities",
    { filter: linkField ? { field: linkField.name, op: "contains", value: { object, id } } : null, sort: "-created_at", limit: 50 },
    Boolean(linkField) && object !== "activities",
  );
  const historyMissing = history.error instanceof ApiError && history.error.status === 404;
  const sets = groupChangeSets(history.data?.pages.flatMap((p) => p.items) ?? []);
  const entries: Entry[] = [
    ...sets.map((set) => ({ kind: "changes" as const, at: set.at, set })),
    ...(activities.data?.pages.flatMap((p) => p.items) ?? []).map((a) => ({ kind: "activity" as const, at: String(a.created_at), activity: a })),
  ].sort((a, b) => b.at.localeCompare(a.at));

  if (history.isLoading) {
    return (
      <div className="space-y-5" aria-busy="true">
        {Array.from({ length: 4 }, (_, i) => (
          <div key={i} className="flex gap-3">
            <Skeleton className="h-[22px] w-[22px] rounded-full" />
            <div className="flex-1 space-y-2">
              <Skeleton className="w-56" />
              <Skeleton className="w-80" />
            </div>
          </div>
        ))}
      </div>
    );
  }
  return (
    <div>
      {history.error && !historyMissing ? <ErrorBanner error={history.error} onRetry={() => void history.refetch()} /> : null}
      {historyMissing ? <p className="mb-3 text-sm text-muted">Field history is not available on this server yet.</p> : null}
      {entries.length === 0 && !history.error ? <p className="text-sm text-muted">Nothing has happened here yet.</p> : null}
      <ol className="space-y-4" aria-label="Timeline">
        {entries.map((entry) => (
          <li key={entry.kind === "changes" ? entry.set.id : entry.activity.id}>
            {entry.kind === "changes" ? <ChangeEntry set={entry.set} /> : <ActivityEntry activity={entry.activity} meta={activitiesMeta} />}
          </li>
        ))}
      </ol>
      {history.hasNextPage ? (
        <div className="mt-4">
          <Button size="sm" loading={history.isFetchingNextPage} onClick={() => void history.fetchNextPage()}>
            Older changes
          </Button>
        </div>
      ) : null}
    </div>
  );
}
