/** Placeholder: the real screen is being built. */
export default function DashboardPage() {
  return <div className="p-6 text-muted">Dashboard</div>;
}
