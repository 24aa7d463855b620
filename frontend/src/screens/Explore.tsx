/** Explore: the accounts the community team features, then a grid of popular recent posts from
 * accounts you don't follow, loaded as you scroll.
 * Public: signed-out visitors browse it too. A search field sits on top (on phones, and for
 * visitors, who have no search in the navigation). */
import { useNavigate } from "react-router-dom";
import { api, type Post, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { FeaturedRow } from "../community/FeaturedRow";
import { Icon } from "../components/Icon";
import { useCursorPages } from "../components/InfiniteList";
import { EmptyState } from "../discovery/EmptyState";
import { PostGridPages } from "../discovery/PostGridPages";
import { SearchForm } from "../discovery/SearchForm";
import "../discovery/discovery.css";

/** One page of Explore: also the landing page's recent posts, under the same query key. */
export function fetchExplorePage(cursor: string | undefined) {
  return unwrap(api.GET("/api/viewfinder/v1/explore", { params: { query: { cursor } } }));
}

/** Typing here continues on the Search screen with what was typed. */
function SearchField({ always }: { always: boolean }) {
  const navigate = useNavigate();
  const go = (text: string) => navigate(text ? `/search?q=${encodeURIComponent(text)}` : "/search");
  return (
    <SearchForm
      id="explore-search"
      className={always ? "explore-search" : "explore-search phone-only"}
      onSubmit={(event) => {
        event.preventDefault();
        go(new FormData(event.currentTarget).get("q")?.toString() ?? "");
      }}
      name="q"
      onChange={(event) => {
        if (event.target.value.trim()) go(event.target.value);
      }}
    />
  );
}

export function Explore() {
  const { me } = useMe();
  const query = useCursorPages<Post>(["explore"], fetchExplorePage);
  return (
    <div className="explore wide">
      <h1 className="visually-hidden">Explore</h1>
      <SearchField always={!me} />
      <FeaturedRow />
      <PostGridPages
        query={query}
        label="Explore posts"
        surface="explore"
        empty={
          <EmptyState icon={<Icon name="explore" size={36} strokeWidth={1.6} />} title="Nothing to explore yet">
            Posts from accounts you don't follow show up here.
          </EmptyState>
        }
      />
    </div>
  );
}
