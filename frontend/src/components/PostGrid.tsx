/** The three-column grid of square thumbnails used by profiles, Explore, hashtags and saved posts.
 *
 * On Explore a tile the recommender chose takes its choice to the post's page (why it was suggested,
 * "Not interested", the model credited with the open), and a post put aside with "Not interested"
 * leaves the grid. */
import { useRef } from "react";
import { Link } from "react-router-dom";
import type { Post } from "../api/client";
import type { Surface } from "../interactions/reporter";
import { useImpression } from "../interactions/useImpression";
import { Picture } from "../media/Picture";
import { useNotInterested } from "../posts/notInterested";
import type { FromSuggestion } from "../posts/suggested";
import "../moderation/moderation.css";
import { Icon } from "./Icon";

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
  const putAside = useNotInterested(post.id) && surface === "explore";
  const first = post.items[0];
  if (!first || putAside) return null;
  const suggested: FromSuggestion | undefined = post.recommended ? { recommended: post.recommended } : undefined;
  const sensitive = post.sensitive;
  const alt = sensitive ? "sensitive content" : first.alt_text || post.caption || `Post by ${post.author.username}`;
  return (
    <li ref={cell}>
      <Link
        to={`/p/${post.id}`}
        state={suggested}
        className={sensitive ? "post-grid-cell is-sensitive" : "post-grid-cell"}
        aria-label={`Post by ${post.author.username}: ${alt}`}
      >
        <Picture media={first.media} alt="" sizes="(max-width: 640px) 33vw, 300px" shape="square" />
        {post.items.length > 1 && <span className="grid-badge" aria-hidden="true">
            <Icon name="carousel" size={18} />
          </span>}
        {post.items.length === 1 && first.media.kind === "video" && (
          <span className="grid-badge" aria-hidden="true">
            <Icon name="play" size={18} filled />
          </span>
        )}
        <GridCounts post={post} />
      </Link>
    </li>
  );
}

/** The likes (unless the author hid them) and comments a tile shows on hover with a mouse (CSS:
 * pointers that hover only); the link's name carries no counts, so screen readers hear the post. */
function GridCounts({ post }: { post: Post }) {
  return (
    <span className="grid-counts" aria-hidden="true">
      {post.like_count !== null && (
        <span>
          <Icon name="heart" size={18} filled /> {compactCount(post.like_count)}
        </span>
      )}
      <span>
        <Icon name="comment" size={18} filled /> {compactCount(post.comment_count)}
      </span>
    </span>
  );
}

const COMPACT = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

/** 1,234 → "1.2K", 2,500,000 → "2.5M", as tiles show them (one formatter for every tile). */
export function compactCount(count: number): string {
  return COMPACT.format(count);
}
