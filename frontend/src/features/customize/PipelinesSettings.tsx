/** Placeholder: the real section is being built. */
export function PipelinesSettings() {
  return <div className="p-6 text-muted">PipelinesSettings</div>;
}
