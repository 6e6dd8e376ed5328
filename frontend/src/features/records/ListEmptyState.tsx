/**
 * What an empty list says. When the caller's role narrows which records they see (record visibility own or
 * team), an empty list is not an empty CRM: it says that others' records are hidden by their role rather than
 * inviting them to create the first one.
 */
import type { ObjectMeta } from "@/lib/types";
import { Button } from "@/ui/Button";
import { EmptyState } from "@/ui/EmptyState";
import { objectIcon } from "@/ui/Icon";

/** "Your role shows you only your own contacts." for a narrowed role, or null when it shows every record. */
export function roleNarrowing(meta: ObjectMeta): string | null {
  const plural = meta.label_plural.toLowerCase();
  switch (meta.permissions?.visibility ?? "all") {
    case "own":
      return `Your role shows you only your own ${plural}; others' are hidden from you.`;
    case "team":
      return `Your role shows you only your own and your teams' ${plural}; others' are hidden from you.`;
    default:
      return null;
  }
}

export function ListEmptyState({
  meta,
  filtered,
  canCreate,
  onCreate,
}: {
  meta: ObjectMeta;
  filtered: boolean;
  canCreate: boolean;
  onCreate: () => void;
}) {
  const plural = meta.label_plural.toLowerCase();
  const narrowed = roleNarrowing(meta);
  if (filtered) {
    return (
      <EmptyState icon="search" title={`No ${plural} match`}>
        Try another search or remove a filter.{narrowed ? ` ${narrowed}` : ""}
      </EmptyState>
    );
  }
  if (narrowed) {
    return (
      <EmptyState icon={objectIcon(meta.name)} title={`No ${plural} you can see`}>
        <p data-testid="role-narrowing">{narrowed}</p>
        {canCreate ? (
          <Button className="mt-3" icon="plus" onClick={onCreate}>
            New {meta.singular}
          </Button>
        ) : null}
      </EmptyState>
    );
  }
  return (
    <EmptyState icon={objectIcon(meta.name)} title={`No ${plural} yet`}>
      {canCreate ? (
        <Button className="mt-3" icon="plus" onClick={onCreate}>
          Create the first {meta.singular}
        </Button>
      ) : null}
    </EmptyState>
  );
}
