import { useMatch } from "react-router";
import { useObjectMeta } from "@/api/records";
import type { RecordLink } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Kbd } from "@/ui/Kbd";
import { taskPermissions } from "./taskApi";

/** Whether the user's role may create activities: the entry points hide themselves otherwise. */
export function useCanCreateTasks(): boolean {
  const { meta } = useObjectMeta("activities");
  return taskPermissions(meta).create;
}

/**
 * The top bar's "New task": the same dialog as the `t` shortcut, from any screen. Its words show on phones too,
 * so it is not a second bare "+" next to a list's "New ..." button.
 */
export function NewTaskButton({ onClick }: { onClick: () => void }) {
  return (
    <Button size="sm" icon="plus" onClick={onClick} aria-label="New task" title="New task (t)" aria-keyshortcuts="t">
      <span>New task</span>
      <span className="hidden sm:inline-flex">
        <Kbd>t</Kbd>
      </span>
    </Button>
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The record whose page is open, as a link for a new task: `t` on a contact's page makes a task about that
 * contact. Only object pages count (`/deals/board` matches the pattern too, but "board" is not an id).
 */
export function useContextLinks(): RecordLink[] {
  const match = useMatch("/:object/:id");
  const { meta } = useObjectMeta(match?.params.object);
  const id = match?.params.id ?? "";
  if (!meta || meta.name === "activities" || !UUID.test(id)) return [];
  return [{ object: meta.name, id }];
}
