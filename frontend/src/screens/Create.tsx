// Placeholder: replaced by the screen's owner.
export function Create() {
  return <h1>Create</h1>;
}
