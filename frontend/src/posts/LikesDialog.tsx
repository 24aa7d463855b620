/** "Likes": the people who liked a post, newest first, each linking to their profile. */
import { Link } from "react-router-dom";
import { api, type UserSummary, unwrap } from "../api/client";
import { Avatar } from "../components/Avatar";
import { Dialog } from "../components/Dialog";
import { ErrorBanner } from "../components/Errors";
import { LoadMore, useCursorPages } from "../components/InfiniteList";
import { Spinner } from "../components/Spinner";

function UserRow({ user, onNavigate }: { user: UserSummary; onNavigate?: () => void }) {
  return (
    <li className="user-row">
      <Avatar user={user} size={44} />
      <div className="user-row-names">
        <Link to={`/${user.username}`} className="username" onClick={onNavigate}>
          {user.username}
        </Link>
        {user.display_name && <span className="display-name">{user.display_name}</span>}
      </div>
    </li>
  );
}

export function LikesDialog({ postId, onClose }: { postId: string; onClose: () => void }) {
  const likers = useCursorPages<UserSummary>(["likes", postId], (cursor) =>
    unwrap(
      api.GET("/api/viewfinder/v1/posts/{post_id}/likes", {
        params: { path: { post_id: postId }, query: { cursor } },
      }),
    ),
  );
  return (
    <Dialog title="Likes" onClose={onClose}>
      {likers.isPending && <Spinner label="Loading likes" />}
      {likers.isError && likers.items.length === 0 && <ErrorBanner error={likers.error} onRetry={() => likers.refetch()} />}
      {likers.isSuccess && likers.items.length === 0 && <p className="hint">No likes yet.</p>}
      <ul className="list-plain likes-list">
        {likers.items.map((user) => (
          <UserRow key={user.id} user={user} onNavigate={onClose} />
        ))}
      </ul>
      {likers.items.length > 0 && <LoadMore {...likers} />}
    </Dialog>
  );
}
