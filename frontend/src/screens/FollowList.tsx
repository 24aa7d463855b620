// Placeholder: replaced by the screen's owner.
export function FollowList({ kind }: { kind: "followers" | "following" }) {
  return <h1>{kind}</h1>;
}
