/** Placeholder: the real section is being built. */
export function ObjectsSettings() {
  return <div className="p-6 text-muted">ObjectsSettings</div>;
}
