/**
 * The list on phones: one card per record, the title (a link to the record) and the next few columns of the
 * view as label and value, so nothing scrolls sideways. The grid (RecordTable) is the same list on wider screens.
 */
import { Link } from "react-router";
import { recordTitle } from "@/lib/fields";
import type { FieldMeta, ObjectMeta, RecordData } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Skeleton } from "@/ui/Skeleton";
import { FieldValue } from "./FieldValue";

/** How many fields a card shows under its title. */
const KEY_FIELDS = 3;

interface Props {
  meta: ObjectMeta;
  rows: RecordData[];
  columns: string[];
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => void;
  loading: boolean;
}

export function RecordCards({ meta, rows, columns, hasNextPage, isFetchingNextPage, fetchNextPage, loading }: Props) {
  const byName = new Map(meta.fields.map((f) => [f.name, f]));
  const keyFields = columns
    .filter((name) => name !== meta.title_field && !(meta.title_field === "last_name" && name === "first_name"))
    .map((name) => byName.get(name))
    .filter((f): f is FieldMeta => Boolean(f))
    .slice(0, KEY_FIELDS);

  if (loading) {
    return (
      <div className="min-h-0 flex-1 overflow-y-auto" aria-busy="true" aria-label="Loading">
        {Array.from({ length: 8 }, (_, i) => (
          <div key={i} className="space-y-2 border-b border-line px-4 py-3">
            <Skeleton className="h-4 w-44" />
            <Skeleton className="w-32" />
            <Skeleton className="w-24" />
          </div>
        ))}
      </div>
    );
  }
  return (
    <div className="min-h-0 flex-1 overflow-y-auto" data-testid="record-cards">
      <ul aria-label={meta.label_plural} className="divide-y divide-line border-b border-line">
        {rows.map((record) => (
          <li key={record.id} className="relative px-4 py-3 hover:bg-hover/60" data-testid="record-card">
            {/* The title's link covers the card, so a tap anywhere on it opens the record. */}
            <Link to={`/${meta.name}/${record.id}`} className="block truncate font-medium text-fg after:absolute after:inset-0">
              {recordTitle(meta, record)}
            </Link>
            {keyFields.length ? (
              <dl className="mt-1 grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-0.5 text-xs">
                {keyFields.map((field) => (
                  <div key={field.name} className="contents">
                    <dt className="text-muted">{field.label}</dt>
                    <dd className="min-w-0 truncate">
                      <FieldValue field={field} value={record[field.name]} empty="—" />
                    </dd>
                  </div>
                ))}
              </dl>
            ) : null}
          </li>
        ))}
      </ul>
      {hasNextPage ? (
        <div className="p-3">
          <Button className="w-full" loading={isFetchingNextPage} onClick={fetchNextPage}>
            Load more
          </Button>
        </div>
      ) : null}
    </div>
  );
}
