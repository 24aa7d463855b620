// Placeholder: replaced by the screen's owner.
export function Settings() {
  return <h1>Settings</h1>;
}
