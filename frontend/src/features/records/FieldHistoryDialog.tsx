import { ApiError } from "@/api/problem";
import { useHistory } from "@/api/records";
import { formatDateTime, formatRelativeTime, formatValue } from "@/lib/fields";
import type { FieldMeta } from "@/lib/types";
import { Avatar } from "@/ui/Avatar";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { ErrorBanner } from "@/ui/ErrorBanner";
import { Icon } from "@/ui/Icon";
import { Skeleton } from "@/ui/Skeleton";
import { actorName, instantBefore, shownValue, sourceLabel } from "./history";

function Shown({ display, value, field }: { display: string | null; value: unknown; field: FieldMeta }) {
  const text = shownValue({ field_type: field.type }, display, value) ?? formatValue(field, value);
  return text ? <span className="break-words">{text}</span> : <span className="text-faint italic">empty</span>;
}

/** Every change of one field: who, when, from, to; and a way to see the whole record before it. */
export function FieldHistoryDialog({
  object,
  id,
  field,
  onClose,
  onViewAsOf,
}: {
  object: string;
  id: string;
  field: FieldMeta;
  onClose: () => void;
  onViewAsOf: (instant: string) => void;
}) {
  const history = useHistory(object, id, field.name);
  const items = history.data?.pages.flatMap((p) => p.items) ?? [];
  const missing = history.error instanceof ApiError && history.error.status === 404 && history.error.code === "not_found";
  return (
    <Dialog open onClose={onClose} title={`History of ${field.label}`} width="max-w-xl">
      {history.isLoading ? (
        <div className="space-y-4" aria-busy="true">
          {Array.from({ length: 3 }, (_, i) => (
            <div key={i} className="space-y-2">
              <Skeleton className="w-48" />
              <Skeleton className="w-72" />
            </div>
          ))}
        </div>
      ) : missing ? (
        <p className="text-sm text-muted">This server does not keep queryable history yet.</p>
      ) : history.error ? (
        <ErrorBanner error={history.error} onRetry={() => void history.refetch()} />
      ) : items.length === 0 ? (
        <p className="text-sm text-muted">No changes recorded for this field.</p>
      ) : (
        <ol className="relative space-y-0" aria-label={`Changes of ${field.label}`}>
          {items.map((item, index) => (
            <li key={item.id} className="relative flex gap-3 pb-5 last:pb-0" data-testid="field-change">
              {index < items.length - 1 ? <span className="absolute top-6 bottom-0 left-[9px] w-px bg-line" aria-hidden="true" /> : null}
              <Avatar name={actorName(item)} size={20} />
              <div className="min-w-0 flex-1">
                <p className="text-sm">
                  <span className="font-medium">{actorName(item)}</span>{" "}
                  <span className="text-muted">{item.op === "create" ? "set it when creating the record" : item.op === "update" ? "changed it" : item.op}</span>
                  <span className="text-faint"> {sourceLabel(item.source)}</span>
                </p>
                <p className="mt-0.5 text-xs text-muted" title={item.changed_at}>
                  <time dateTime={item.changed_at}>{formatDateTime(item.changed_at)}</time> · {formatRelativeTime(item.changed_at)}
                </p>
                <div className="mt-1.5 flex flex-wrap items-center gap-2 rounded-md bg-subtle px-2.5 py-1.5 text-sm">
                  <span className="text-muted line-through decoration-faint" data-testid="old-value">
                    <Shown display={item.old_display} value={item.old_value} field={field} />
                  </span>
                  <Icon name="chevronRight" size={13} className="text-faint" />
                  <span className="font-medium" data-testid="new-value">
                    <Shown display={item.new_display} value={item.new_value} field={field} />
                  </span>
                </div>
                {item.op !== "create" ? (
                  <button
                    type="button"
                    className="mt-1.5 inline-flex items-center gap-1 text-xs text-accent-text hover:underline"
                    onClick={() => onViewAsOf(instantBefore(item.changed_at))}
                  >
                    <Icon name="clock" size={12} /> View the record as it was before this change
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ol>
      )}
      {history.hasNextPage ? (
        <div className="mt-4 flex justify-center">
          <Button size="sm" loading={history.isFetchingNextPage} onClick={() => void history.fetchNextPage()}>
            Older changes
          </Button>
        </div>
      ) : null}
    </Dialog>
  );
}
