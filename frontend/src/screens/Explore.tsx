// Placeholder: replaced by the screen's owner.
export function Explore() {
  return <h1>Explore</h1>;
}
