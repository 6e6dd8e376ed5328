import { Link } from "react-router";
import { useMembers, useObjectMeta, useRelatedRecord } from "@/api/records";
import { toneClass } from "@/features/customize/colors";
import { formatValue, isListField, isRecordLink, optionLabel, recordTitle, relationTarget } from "@/lib/fields";
import type { FieldMeta } from "@/lib/types";
import { Avatar } from "@/ui/Avatar";
import { cx } from "@/ui/cx";
import { Skeleton } from "@/ui/Skeleton";

function RelationChip({ target, id }: { target: string; id: string }) {
  const { meta } = useObjectMeta(target);
  const related = useRelatedRecord(meta, id);
  if (related.isLoading) return <Skeleton className="inline-block w-20 align-middle" />;
  const title = related.data ? recordTitle(meta, related.data) : "(not visible)";
  return (
    <Link
      to={`/${target}/${id}`}
      onClick={(e) => e.stopPropagation()}
      className="inline-flex max-w-full items-center truncate rounded bg-subtle px-1.5 py-px text-[12px] text-fg hover:bg-hover"
    >
      <span className="truncate">{title}</span>
    </Link>
  );
}

export function UserName({ id, withAvatar = true }: { id: string; withAvatar?: boolean }) {
  const members = useMembers();
  const member = members.data?.find((m) => m.user_id === id);
  if (members.isLoading) return <Skeleton className="inline-block w-20 align-middle" />;
  const name = member ? member.full_name || member.email : "Former member";
  return (
    <span className="inline-flex min-w-0 items-center gap-1.5">
      {withAvatar ? <Avatar name={name} size={18} /> : null}
      <span className="truncate">{name}</span>
    </span>
  );
}

const SELECT_TONES = [
  "bg-sky-100 text-sky-800 dark:bg-sky-500/15 dark:text-sky-300",
  "bg-emerald-100 text-emerald-800 dark:bg-emerald-500/15 dark:text-emerald-300",
  "bg-amber-100 text-amber-800 dark:bg-amber-500/15 dark:text-amber-300",
  "bg-violet-100 text-violet-800 dark:bg-violet-500/15 dark:text-violet-300",
  "bg-rose-100 text-rose-800 dark:bg-rose-500/15 dark:text-rose-300",
  "bg-teal-100 text-teal-800 dark:bg-teal-500/15 dark:text-teal-300",
  "bg-zinc-100 text-zinc-700 dark:bg-zinc-500/15 dark:text-zinc-300",
];

function OptionBadge({ field, value }: { field: FieldMeta; value: unknown }) {
  const index = Math.max(0, field.options.findIndex((o) => o.value === value));
  // The colour an admin chose for the option (Settings > Fields), else one by position.
  const color = field.options[index]?.color;
  const tone = color ? toneClass(color) : SELECT_TONES[index % SELECT_TONES.length];
  return (
    <span className={cx("inline-flex max-w-full items-center truncate rounded px-1.5 py-px text-[12px] font-medium", tone)}>
      {optionLabel(field, value)}
    </span>
  );
}

/** A field's value as people read it: option badges, related records' titles, members' names, money. */
export function FieldValue({ field, value, empty = "" }: { field: FieldMeta; value: unknown; empty?: string }) {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) {
    return empty ? <span className="text-faint">{empty}</span> : null;
  }
  const values = Array.isArray(value) ? value : [value];
  const target = relationTarget(field);
  if (field.type === "relation" && target) {
    return (
      <span className="flex min-w-0 flex-wrap gap-1">
        {values.map((id) => (
          <RelationChip key={String(id)} target={target} id={String(id)} />
        ))}
      </span>
    );
  }
  if (field.type === "record_link") {
    return (
      <span className="flex min-w-0 flex-wrap gap-1">
        {values.filter(isRecordLink).map((link) => (
          <RelationChip key={`${link.object}:${link.id}`} target={link.object} id={link.id} />
        ))}
      </span>
    );
  }
  if (field.type === "user") {
    return (
      <span className="flex min-w-0 flex-wrap gap-2">
        {values.map((id) => (
          <UserName key={String(id)} id={String(id)} />
        ))}
      </span>
    );
  }
  if (field.type === "select" || field.type === "multi_select") {
    return (
      <span className="flex min-w-0 flex-wrap gap-1">
        {values.map((v) => (
          <OptionBadge key={String(v)} field={field} value={v} />
        ))}
      </span>
    );
  }
  if (field.type === "email" || field.type === "url" || field.type === "phone") {
    const href = (v: string) => (field.type === "email" ? `mailto:${v}` : field.type === "phone" ? `tel:${v}` : v);
    return (
      <span className="flex min-w-0 gap-2 truncate">
        {values.map((v) => (
          <a
            key={String(v)}
            href={href(String(v))}
            onClick={(e) => e.stopPropagation()}
            target={field.type === "url" ? "_blank" : undefined}
            rel="noreferrer noopener"
            className="truncate text-fg decoration-faint underline-offset-2 hover:text-accent-text hover:underline"
          >
            {String(v)}
          </a>
        ))}
      </span>
    );
  }
  if (field.type === "boolean") {
    return <span className={value ? "text-fg" : "text-muted"}>{value ? "Yes" : "No"}</span>;
  }
  const text = formatValue(field, value);
  const numeric = ["number", "decimal", "currency", "percent"].includes(field.type) && !isListField(field);
  return <span className={cx("truncate", numeric && "tabular-nums")}>{text}</span>;
}
