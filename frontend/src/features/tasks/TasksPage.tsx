/** Placeholder: the real screen is being built. */
export default function TasksPage() {
  return <div className="p-6 text-muted">Tasks</div>;
}
