// Placeholder: replaced by the screen's owner.
export function Collection() {
  return <h1>Collection</h1>;
}
