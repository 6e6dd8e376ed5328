/** Placeholder: the real screen is being built. */
export default function DealsBoardPage() {
  return <div className="p-6 text-muted">Deals board</div>;
}
