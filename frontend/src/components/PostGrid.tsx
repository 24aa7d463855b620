/** The three-column grid of square thumbnails used by profiles, Explore, hashtags and saved posts. */
import { useRef } from "react";
import { Link } from "react-router-dom";
import type { Post } from "../api/client";
import type { Surface } from "../interactions/reporter";
import { useImpression } from "../interactions/useImpression";
import { Picture } from "../media/Picture";
import "../moderation/moderation.css";

type GridProps = {
  posts: Post[];
  label: string;
  /** Where the grid is, for the impressions reported (none without one, e.g. on staff screens). */
  surface?: Surface;
};

export function PostGrid({ posts, label, surface }: GridProps) {
  return (
    <ul className="post-grid" aria-label={label}>
      {posts.map((post, index) => (
        <PostGridCell key={post.id} post={post} surface={surface} position={index} />
      ))}
    </ul>
  );
}

function PostGridCell({ post, surface, position }: { post: Post; surface?: Surface; position: number }) {
  const cell = useRef<HTMLLIElement>(null);
  useImpression(cell, { postId: post.id, surface, position, model: post.recommended?.model });
  const first = post.items[0];
  if (!first) return null;
  const sensitive = post.sensitive;
  const alt = sensitive ? "sensitive content" : first.alt_text || post.caption || `Post by ${post.author.username}`;
  return (
    <li ref={cell}>
      <Link
        to={`/p/${post.id}`}
        className={sensitive ? "post-grid-cell is-sensitive" : "post-grid-cell"}
        aria-label={`Post by ${post.author.username}: ${alt}`}
      >
        <Picture media={first.media} alt="" sizes="(max-width: 640px) 33vw, 300px" shape="square" />
        {post.items.length > 1 && <span className="grid-badge" aria-hidden="true">▣</span>}
        {post.items.length === 1 && first.media.kind === "video" && (
          <span className="grid-badge" aria-hidden="true">▶</span>
        )}
      </Link>
    </li>
  );
}
