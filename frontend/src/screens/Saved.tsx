// Placeholder: replaced by the screen's owner.
export function Saved() {
  return <h1>Saved</h1>;
}
