// Placeholder: replaced by the screen's owner.
export function Profile() {
  return <h1>Profile</h1>;
}
