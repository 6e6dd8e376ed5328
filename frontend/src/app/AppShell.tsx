import { lazy, Suspense, useState } from "react";
import { Outlet, useNavigate, useNavigation } from "react-router";
import { Dialog } from "@/ui/Dialog";
import { Icon } from "@/ui/Icon";
import { Kbd } from "@/ui/Kbd";
import { SkeletonRows } from "@/ui/Skeleton";
import { SHORTCUT_HELP, useShortcuts } from "./shortcuts";
import { Sidebar } from "./Sidebar";
import { NewTaskButton, useCanCreateTasks, useContextLinks } from "@/features/tasks/NewTaskButton";

// Loaded when first opened: the shell's chunk stays small.
const CreateTaskDialog = lazy(() => import("@/features/tasks/CreateTaskDialog").then((m) => ({ default: m.CreateTaskDialog })));

/** The signed-in frame: sidebar (a drawer on phones), the screen, global shortcuts. */
export function AppShell() {
  const navigate = useNavigate();
  const navigation = useNavigation();
  const [drawer, setDrawer] = useState(false);
  const [help, setHelp] = useState(false);
  const [newTask, setNewTask] = useState(false);
  const canCreateTasks = useCanCreateTasks();
  const taskLinks = useContextLinks(); // on a record's page, a new task is linked to that record

  useShortcuts({
    "g c": () => navigate("/contacts"),
    "g o": () => navigate("/companies"),
    "g d": () => navigate("/deals"),
    "g l": () => navigate("/leads"),
    "g a": () => navigate("/activities"),
    "g b": () => navigate("/deals/board"),
    "?": () => setHelp(true),
    t: () => canCreateTasks && setNewTask(true),
  });

  return (
    <div className="flex h-full">
      <div className="hidden md:flex">
        <Sidebar />
      </div>
      {drawer ? (
        <div className="fixed inset-0 z-40 md:hidden" role="dialog" aria-label="Navigation">
          <button type="button" aria-label="Close navigation" className="absolute inset-0 bg-black/40" onClick={() => setDrawer(false)} />
          <div className="relative h-full w-64 shadow-pop">
            <Sidebar onNavigate={() => setDrawer(false)} />
          </div>
        </div>
      ) : null}
      <div className="flex min-w-0 flex-1 flex-col">
        {/* The top bar: navigation and brand on phones; global actions (New task) at every size. */}
        <div className="flex h-11 shrink-0 items-center gap-2 border-b border-line bg-surface px-3 md:h-10">
          <button type="button" aria-label="Open navigation" className="rounded p-1.5 text-muted hover:bg-hover md:hidden" onClick={() => setDrawer(true)}>
            <Icon name="menu" />
          </button>
          <span className="font-semibold md:hidden">KronosCRM</span>
          <div className="ml-auto flex items-center gap-1">
            {canCreateTasks ? <NewTaskButton onClick={() => setNewTask(true)} /> : null}
          </div>
        </div>
        <main className="relative min-h-0 flex-1" aria-busy={navigation.state === "loading"}>
          {navigation.state === "loading" ? (
            <div className="absolute inset-x-0 top-0 z-30 h-0.5 animate-pulse bg-accent" aria-hidden="true" />
          ) : null}
          <Suspense fallback={<SkeletonRows />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
      {newTask ? (
        <Suspense fallback={null}>
          <CreateTaskDialog open links={taskLinks} onClose={() => setNewTask(false)} />
        </Suspense>
      ) : null}
      <Dialog open={help} onClose={() => setHelp(false)} title="Keyboard shortcuts" width="max-w-md">
        <ul className="divide-y divide-line">
          {SHORTCUT_HELP.map((item) => (
            <li key={item.keys} className="flex items-center justify-between py-2">
              <span className="text-sm">{item.label}</span>
              <span className="flex gap-1">
                {item.keys.split(" ").map((k, i) => (
                  <Kbd key={i}>{k}</Kbd>
                ))}
              </span>
            </li>
          ))}
        </ul>
      </Dialog>
    </div>
  );
}
