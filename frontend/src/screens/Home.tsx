// Placeholder: replaced by the screen's owner.
export function Home() {
  return <h1>Home</h1>;
}
