import { isRouteErrorResponse, Link, useRouteError } from "react-router";
import { errorMessage } from "@/api/problem";
import { Button } from "@/ui/Button";

/** A screen that failed to render or load (e.g. a chunk missing after a deploy: reloading fetches the new one). */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : errorMessage(error);
  const stale = /dynamically imported module|Importing a module script failed|error loading/i.test(message);
  return (
    <div className="flex min-h-full items-center justify-center p-8">
      <div className="max-w-md text-center">
        <h1 className="text-lg font-semibold">{stale ? "KronosCRM was updated" : "Something went wrong"}</h1>
        <p className="mt-2 text-sm text-muted">{stale ? "Reload to get the new version." : message}</p>
        <div className="mt-4 flex justify-center gap-2">
          <Button variant="primary" onClick={() => window.location.reload()}>
            Reload
          </Button>
          <Link to="/" className="inline-flex h-8 items-center rounded-md px-3 text-sm text-muted hover:bg-hover">
            Home
          </Link>
        </div>
      </div>
    </div>
  );
}
