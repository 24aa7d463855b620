// Placeholder: replaced by the screen's owner.
export function FollowRequests() {
  return <h1>Follow requests</h1>;
}
