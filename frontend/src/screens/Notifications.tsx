// Placeholder: replaced by the screen's owner.
export function Notifications() {
  return <h1>Notifications</h1>;
}
