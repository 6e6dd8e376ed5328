import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { cx } from "./cx";
import { Icon } from "./Icon";

interface Toast {
  id: number;
  kind: "success" | "error" | "info";
  message: string;
  detail?: string | undefined;
}

const ToastContext = createContext<(toast: Omit<Toast, "id">) => void>(() => undefined);
let counter = 0;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((toast: Omit<Toast, "id">) => {
    const id = ++counter;
    setToasts((list) => [...list.slice(-3), { ...toast, id }]);
    setTimeout(() => setToasts((list) => list.filter((t) => t.id !== id)), toast.kind === "error" ? 8000 : 3500);
  }, []);
  const value = useMemo(() => push, [push]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div aria-live="polite" className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-80 flex-col gap-2">
        {toasts.map((toast) => (
          <div
            key={toast.id}
            role={toast.kind === "error" ? "alert" : "status"}
            className={cx(
              "pointer-events-auto flex gap-2.5 rounded-lg border bg-raised px-3.5 py-3 text-sm shadow-pop",
              toast.kind === "error" ? "border-danger/40" : "border-line",
            )}
          >
            <Icon
              name={toast.kind === "error" ? "alert" : "check"}
              className={cx("mt-0.5 shrink-0", toast.kind === "error" ? "text-danger" : "text-success")}
            />
            <div className="min-w-0">
              <p className="font-medium">{toast.message}</p>
              {toast.detail ? <p className="mt-0.5 text-xs break-words text-muted">{toast.detail}</p> : null}
            </div>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  return useContext(ToastContext);
}
