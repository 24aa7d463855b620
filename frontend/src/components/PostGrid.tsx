/** The three-column grid of square thumbnails used by profiles, Explore, hashtags and saved posts. */
import { Link } from "react-router-dom";
import type { Post } from "../api/client";
import { Picture } from "../media/Picture";
import "../moderation/moderation.css";

export function PostGrid({ posts, label }: { posts: Post[]; label: string }) {
  return (
    <ul className="post-grid" aria-label={label}>
      {posts.map((post) => {
        const first = post.items[0];
        if (!first) return null;
        const sensitive = post.sensitive;
        const alt = sensitive
          ? "sensitive content"
          : first.alt_text || post.caption || `Post by ${post.author.username}`;
        return (
          <li key={post.id}>
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
      })}
    </ul>
  );
}
