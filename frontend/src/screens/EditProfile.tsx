// Placeholder: replaced by the screen's owner.
export function EditProfile() {
  return <h1>Edit profile</h1>;
}
