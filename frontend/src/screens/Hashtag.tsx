// Placeholder: replaced by the screen's owner.
export function Hashtag() {
  return <h1>Hashtag</h1>;
}
