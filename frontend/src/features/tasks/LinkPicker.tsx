import { useEffect, useId, useMemo, useState } from "react";
import { useQueries } from "@tanstack/react-query";
import { fetchPage, useObjectMeta, useObjects, useRelatedRecord } from "@/api/records";
import { SETUP_OBJECTS } from "@/app/nav";
import { recordTitle, titleFields } from "@/lib/fields";
import type { FilterNode, ObjectMeta, RecordLink } from "@/lib/types";
import { cx } from "@/ui/cx";
import { Icon, objectIcon } from "@/ui/Icon";

const PER_OBJECT = 5;

/** Objects a task can be linked to: records people work on, not activities themselves or configuration. */
export function linkableObjects(objects: ObjectMeta[]): ObjectMeta[] {
  return objects.filter(
    (o) => o.name !== "activities" && !SETUP_OBJECTS.includes(o.name) && !o.archived && titleSearch(o, "x") !== null,
  );
}

/**
 * `contains` on the text fields that make a record's title (first and last name for people); null when the
 * title is not text (a custom object titled by a number), which this box cannot search.
 */
export function titleSearch(meta: ObjectMeta, text: string): FilterNode | null {
  const names = titleFields(meta).filter((name) => {
    const field = meta.fields.find((f) => f.name === name);
    return field && ["text", "email", "phone", "url"].includes(field.type);
  });
  const parts: FilterNode[] = names.map((name) => ({ field: name, op: "contains", value: text }));
  if (parts.length === 0) return null;
  return parts.length === 1 ? parts[0]! : { or: parts };
}

function LinkChip({ link, onRemove }: { link: RecordLink; onRemove: () => void }) {
  const { meta } = useObjectMeta(link.object);
  const related = useRelatedRecord(meta, link.id);
  const title = related.isLoading ? "…" : related.data ? recordTitle(meta, related.data) : "(not visible)";
  return (
    <span className="inline-flex max-w-full items-center gap-1 rounded bg-subtle py-0.5 pr-0.5 pl-1.5 text-xs">
      <Icon name={objectIcon(link.object)} size={12} className="shrink-0 text-muted" />
      <span className="truncate">{title}</span>
      <button type="button" aria-label={`Unlink ${title}`} onClick={onRemove} className="rounded p-0.5 text-faint hover:bg-hover hover:text-fg">
        <Icon name="x" size={11} />
      </button>
    </span>
  );
}

interface Hit {
  link: RecordLink;
  title: string;
  meta: ObjectMeta;
}

/**
 * Records to link, searched across every linkable object at once (or one, picked beside the box): one small
 * list request per object while typing. Arrow keys move through the results, Enter links the active one.
 */
export function LinkPicker({
  value,
  onChange,
  invalid,
  id,
  describedBy,
}: {
  value: RecordLink[];
  onChange: (links: RecordLink[]) => void;
  invalid?: boolean;
  id?: string;
  describedBy?: string;
}) {
  const objects = useObjects();
  const candidates = useMemo(() => linkableObjects(objects.data ?? []), [objects.data]);
  const [scope, setScope] = useState("");
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const listId = useId();

  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), 200);
    return () => clearTimeout(timer);
  }, [text]);

  const searched = candidates.filter((o) => !scope || o.name === scope);
  const results = useQueries({
    queries: searched.map((meta) => ({
      queryKey: ["records", meta.name, "search", "link", query],
      queryFn: () => fetchPage(meta.name, { filter: titleSearch(meta, query), fields: titleFields(meta), limit: PER_OBJECT }),
      enabled: query.length > 0,
      staleTime: 30_000,
    })),
  });
  const chosen = new Set(value.map((l) => `${l.object}:${l.id}`));
  const hits: Hit[] = searched.flatMap((meta, i) =>
    (results[i]?.data?.items ?? [])
      .map((record) => ({ link: { object: meta.name, id: record.id }, title: recordTitle(meta, record), meta }))
      .filter((hit) => !chosen.has(`${hit.link.object}:${hit.link.id}`)),
  );
  const loading = query.length > 0 && results.some((r) => r.isLoading);
  const failed = results.find((r) => r.error)?.error;

  const pick = (hit: Hit | undefined) => {
    if (!hit) return;
    onChange([...value, hit.link]);
    setText("");
    setQuery("");
    setActive(0);
  };
  const open = query.length > 0;

  return (
    <div className="space-y-1.5">
      {value.length ? (
        <div className="flex flex-wrap gap-1" aria-label="Linked records">
          {value.map((link) => (
            <LinkChip key={`${link.object}:${link.id}`} link={link} onRemove={() => onChange(value.filter((l) => l !== link))} />
          ))}
        </div>
      ) : null}
      <div className="flex gap-1.5">
        <select aria-label="Search in" className="k-input h-8 w-32 shrink-0" value={scope} onChange={(e) => setScope(e.target.value)}>
          <option value="">All records</option>
          {candidates.map((o) => (
            <option key={o.name} value={o.name}>
              {o.label_plural}
            </option>
          ))}
        </select>
        <div className="relative min-w-0 flex-1">
          <input
            id={id}
            role="combobox"
            aria-expanded={open}
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={open && hits[active] ? `${listId}-${active}` : undefined}
            aria-invalid={invalid || undefined}
            aria-describedby={describedBy}
            className="k-input h-8"
            placeholder={scope ? `Search ${candidates.find((o) => o.name === scope)?.label_plural.toLowerCase() ?? ""}…` : "Search contacts, companies, deals…"}
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setActive(0);
            }}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown" && hits.length) {
                e.preventDefault();
                setActive((a) => Math.min(a + 1, hits.length - 1));
              } else if (e.key === "ArrowUp" && hits.length) {
                e.preventDefault();
                setActive((a) => Math.max(a - 1, 0));
              } else if (e.key === "Enter" && open) {
                // Enter picks a result instead of submitting the form around the picker.
                e.preventDefault();
                pick(hits[active]);
              } else if (e.key === "Escape" && text) {
                e.preventDefault();
                e.stopPropagation();
                setText("");
                setQuery("");
              }
            }}
          />
          {open ? (
            <ul id={listId} role="listbox" aria-label="Matching records" className="absolute z-30 mt-1 max-h-60 w-full overflow-y-auto rounded-md border border-line bg-raised p-1 shadow-pop">
              {hits.map((hit, i) => (
                <li
                  key={`${hit.link.object}:${hit.link.id}`}
                  id={`${listId}-${i}`}
                  role="option"
                  aria-selected={i === active}
                  onMouseDown={(e) => e.preventDefault()}
                  onClick={() => pick(hit)}
                  onMouseEnter={() => setActive(i)}
                  className={cx("flex cursor-pointer items-center gap-2 rounded px-2 py-1 text-sm", i === active && "bg-hover")}
                >
                  <Icon name={objectIcon(hit.meta.name)} size={13} className="shrink-0 text-muted" />
                  <span className="min-w-0 flex-1 truncate">{hit.title}</span>
                  <span className="shrink-0 text-xs text-faint">{hit.meta.label}</span>
                </li>
              ))}
              {loading ? <li className="px-2 py-1 text-sm text-muted">Searching…</li> : null}
              {failed ? <li className="px-2 py-1 text-sm text-danger">The search failed. Try again in a moment.</li> : null}
              {!loading && !failed && hits.length === 0 ? <li className="px-2 py-1 text-sm text-muted">No record matches “{query}”.</li> : null}
            </ul>
          ) : null}
        </div>
      </div>
    </div>
  );
}
