import { Skeleton, SkeletonRows } from "@/ui/Skeleton";

/** The shell's shape while the session loads, so the real one replaces it without a jump. */
export function ShellSkeleton() {
  return (
    <div className="flex h-full" aria-busy="true">
      <aside className="hidden w-60 shrink-0 flex-col gap-3 border-r border-line bg-surface p-3 md:flex">
        <Skeleton className="h-7 w-40" />
        {Array.from({ length: 6 }, (_, i) => (
          <Skeleton key={i} className="h-4 w-32" />
        ))}
      </aside>
      <main className="min-w-0 flex-1">
        <div className="h-12 border-b border-line bg-surface" />
        <SkeletonRows />
      </main>
    </div>
  );
}
