// Placeholder: replaced by the screen's owner.
export function PostDetail() {
  return <h1>Post</h1>;
}
