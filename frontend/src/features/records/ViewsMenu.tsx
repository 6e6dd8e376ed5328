import { useState } from "react";
import { errorMessage } from "@/api/problem";
import { useDeleteView, useSaveView, useViews, type View } from "@/api/records";
import { useMe } from "@/auth/AuthProvider";
import type { FilterNode, ObjectMeta } from "@/lib/types";
import { Button } from "@/ui/Button";
import { Dialog } from "@/ui/Dialog";
import { FormError, TextField } from "@/ui/Field";
import { Icon } from "@/ui/Icon";
import { MenuItem, Popover } from "@/ui/Popover";
import { useToast } from "@/ui/Toast";

interface Current {
  filter: FilterNode | null;
  sort: string;
  columns: string[];
}

/** Saved views: mine and shared ones; apply, save the current list as a view, update or delete one. */
export function ViewsMenu({ meta, viewId, current, onApply }: { meta: ObjectMeta; viewId: string | null; current: Current; onApply: (view: View | null) => void }) {
  const me = useMe();
  const views = useViews(meta.name);
  const save = useSaveView(meta.name);
  const remove = useDeleteView(meta.name);
  const toast = useToast();
  const [dialog, setDialog] = useState(false);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const active = views.data?.find((v) => v.id === viewId) ?? null;
  const mine = views.data?.filter((v) => v.owner_id === me.user.id) ?? [];
  const others = views.data?.filter((v) => v.owner_id !== me.user.id) ?? [];
  const canEdit = active !== null && (active.owner_id === me.user.id || me.role === "owner" || me.role === "admin");

  const persist = async (view: { id?: string; name: string; shared: boolean }) => {
    try {
      const saved = await save.mutateAsync({ ...view, filter: current.filter as View["filter"], sort: current.sort || null, columns: current.columns });
      toast({ kind: "success", message: view.id ? "View updated" : "View saved" });
      onApply(saved as View);
      setDialog(false);
    } catch (error) {
      if (!dialog) toast({ kind: "error", message: "The view was not saved", detail: errorMessage(error) });
      throw error;
    }
  };

  return (
    <>
      <Popover
        label="Views"
        trigger={({ toggle, open }) => (
          <button type="button" onClick={toggle} aria-expanded={open} className="flex h-8 min-w-0 items-center gap-1.5 rounded-md px-2 text-base font-semibold hover:bg-hover">
            <span className="truncate">{active ? active.name : `All ${meta.label_plural.toLowerCase()}`}</span>
            <Icon name="chevronDown" size={14} className="shrink-0 text-faint" />
          </button>
        )}
        className="w-64"
      >
        {(close) => (
          <div role="menu" className="text-sm">
            <MenuItem active={!active} onSelect={() => { onApply(null); close(); }}>
              All {meta.label_plural.toLowerCase()}
            </MenuItem>
            {views.error ? <p className="px-2 py-1.5 text-xs text-muted">Saved views are unavailable: {errorMessage(views.error)}</p> : null}
            {mine.length ? <p className="px-2 pt-2 pb-1 text-xs font-medium text-faint">My views</p> : null}
            {mine.map((v) => (
              <MenuItem key={v.id} active={v.id === viewId} onSelect={() => { onApply(v); close(); }} icon={v.shared ? <Icon name="users" size={13} className="text-faint" /> : undefined}>
                {v.name}
              </MenuItem>
            ))}
            {others.length ? <p className="px-2 pt-2 pb-1 text-xs font-medium text-faint">Shared with me</p> : null}
            {others.map((v) => (
              <MenuItem key={v.id} active={v.id === viewId} onSelect={() => { onApply(v); close(); }}>
                {v.name}
              </MenuItem>
            ))}
            {!views.error ? (
              <div className="mt-1 border-t border-line pt-1">
                {canEdit && active ? (
                  <MenuItem icon={<Icon name="check" size={13} />} onSelect={() => { close(); void persist({ id: active.id, name: active.name, shared: active.shared }).catch(() => undefined); }}>
                    Save changes to “{active.name}”
                  </MenuItem>
                ) : null}
                <MenuItem icon={<Icon name="plus" size={13} />} onSelect={() => { close(); setName(""); setShared(false); setDialog(true); }}>
                  Save as new view…
                </MenuItem>
                {canEdit && active ? (
                  <MenuItem
                    danger
                    icon={<Icon name="trash" size={13} />}
                    onSelect={async () => {
                      close();
                      try {
                        await remove.mutateAsync(active.id);
                        onApply(null);
                      } catch (error) {
                        toast({ kind: "error", message: "The view was not deleted", detail: errorMessage(error) });
                      }
                    }}
                  >
                    Delete view
                  </MenuItem>
                ) : null}
              </div>
            ) : null}
          </div>
        )}
      </Popover>
      <Dialog
        open={dialog}
        onClose={() => setDialog(false)}
        title="Save view"
        width="max-w-sm"
        footer={
          <>
            <Button variant="ghost" onClick={() => setDialog(false)}>Cancel</Button>
            <Button variant="primary" loading={save.isPending} onClick={() => void persist({ name, shared }).catch(() => undefined)}>
              Save view
            </Button>
          </>
        }
      >
        <div className="space-y-3">
          <FormError message={save.error ? errorMessage(save.error) : null} />
          <TextField label="Name" autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder={`e.g. My open ${meta.label_plural.toLowerCase()}`} />
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} className="accent-[var(--k-accent)]" />
            Share with everyone in the workspace
          </label>
          <p className="text-xs text-muted">Saves the current filters, sort and columns (not the quick search).</p>
        </div>
      </Dialog>
    </>
  );
}
