// Placeholder: replaced by the screen's owner.
export function Search() {
  return <h1>Search</h1>;
}
