import { ApiError, errorMessage } from "@/api/problem";
import { Button } from "./Button";
import { Icon } from "./Icon";

/** A failed load: what went wrong, the request id to quote, and a retry. */
export function ErrorBanner({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const requestId = error instanceof ApiError ? error.requestId : null;
  return (
    <div role="alert" className="flex items-start gap-3 rounded-lg border border-danger/30 bg-danger-soft px-4 py-3 text-sm">
      <Icon name="alert" className="mt-0.5 shrink-0 text-danger" />
      <div className="min-w-0 flex-1">
        <p className="font-medium text-fg">{title ?? "This could not be loaded"}</p>
        <p className="mt-0.5 text-muted">{errorMessage(error)}</p>
        {requestId ? <p className="mt-1 font-mono text-xs text-faint">Request {requestId}</p> : null}
      </div>
      {onRetry ? (
        <Button size="sm" onClick={onRetry}>
          Retry
        </Button>
      ) : null}
    </div>
  );
}
