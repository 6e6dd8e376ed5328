export function Kbd({ children }: { children: string }) {
  return (
    <kbd className="inline-flex h-[18px] min-w-[18px] items-center justify-center rounded border border-line-strong bg-subtle px-1 font-sans text-[10px] font-medium text-muted">
      {children}
    </kbd>
  );
}
