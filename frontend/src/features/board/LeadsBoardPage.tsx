/** Placeholder: the real screen is being built. */
export default function LeadsBoardPage() {
  return <div className="p-6 text-muted">Leads board</div>;
}
