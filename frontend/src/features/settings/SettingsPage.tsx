/** Placeholder: the real screen is being built. */
export default function SettingsPage() {
  return <div className="p-6 text-muted">Settings</div>;
}
