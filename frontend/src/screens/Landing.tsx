/** The landing page a signed-out visitor gets at `/` (issue 17, first visit): what this server is, sign
 * up and log in, the accounts the community team features and a few recent public posts (Explore's
 * first page, shared with Explore's cache so "See more" opens at once). Signed in, `/` is the feed. */
import { Link } from "react-router-dom";
import type { Post } from "../api/client";
import { FeaturedRow } from "../community/FeaturedRow";
import { useCursorPages } from "../components/InfiniteList";
import { PostGrid } from "../components/PostGrid";
import "../discovery/discovery.css";
import { fetchExplorePage } from "./Explore";
import "./landing.css";

/** How many public posts the landing page shows: three rows of the grid. */
export const LANDING_POSTS = 9;

function RecentPosts() {
  // The same query key as Explore: its first page is already there when the visitor opens Explore.
  const query = useCursorPages<Post>(["explore"], fetchExplorePage);
  const posts = query.items.slice(0, LANDING_POSTS);
  // Posts are a bonus here: while they load, or if they fail or there are none, the page is the pitch.
  if (posts.length === 0) return null;
  return (
    <section className="landing-posts" aria-labelledby="landing-posts-title">
      <h2 id="landing-posts-title" className="landing-section-title">
        Recently shared here
      </h2>
      <PostGrid posts={posts} label="Recent public posts" surface="explore" />
      <p className="landing-more">
        <Link to="/explore">See more on Explore</Link>
      </p>
    </section>
  );
}

export function Landing() {
  return (
    <div className="landing wide">
      <section className="landing-hero" aria-labelledby="landing-title">
        <h1 id="landing-title" className="landing-title">
          Viewfinder
        </h1>
        <p className="landing-tagline">
          Share photos and videos with the people you follow, on a server run by your own community: no ads, and
          your posts stay here.
        </p>
        <div className="landing-actions">
          <Link to="/signup" className="button">
            Create an account
          </Link>
          <Link to="/login" className="button button-secondary">
            Log in
          </Link>
        </div>
      </section>
      <FeaturedRow />
      <RecentPosts />
    </div>
  );
}
