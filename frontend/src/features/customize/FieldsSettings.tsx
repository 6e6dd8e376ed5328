/** Placeholder: the real section is being built. */
export function FieldsSettings() {
  return <div className="p-6 text-muted">FieldsSettings</div>;
}
