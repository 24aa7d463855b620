/** The empty home feed: a welcome, a way to Explore, and accounts to follow (GET /suggestions/accounts). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { api, type UserSummary, unwrap } from "../api/client";
import { Avatar } from "../components/Avatar";
import { ErrorBanner } from "../components/Errors";
import { Icon } from "../components/Icon";
import { Spinner } from "../components/Spinner";
import { type SuggestedAccount, suggestionNote } from "../discovery/suggestionNote";

type Suggestion = SuggestedAccount;
const SUGGESTIONS = ["suggestions"] as const;

function followLabel(user: UserSummary): "Follow" | "Following" | "Requested" {
  if (user.relationship?.following) return "Following";
  if (user.relationship?.requested) return "Requested";
  return "Follow";
}

function withFollowState(user: UserSummary, state: string): UserSummary {
  const base = user.relationship ?? { following: false, requested: false, followed_by: false, blocking: false, muting: false };
  return { ...user, relationship: { ...base, following: state === "following", requested: state === "requested" } };
}

function SuggestionRow({ suggestion, onFollowed }: { suggestion: Suggestion; onFollowed: () => void }) {
  const client = useQueryClient();
  const { user } = suggestion;
  const label = followLabel(user);
  const follow = useMutation({
    mutationFn: (on: boolean) => {
      const path = { params: { path: { username: user.username } } };
      const url = "/api/viewfinder/v1/users/{username}/follow" as const;
      return unwrap(on ? api.POST(url, path) : api.DELETE(url, path));
    },
    onSuccess: (result, on) => {
      client.setQueryData<Suggestion[]>(SUGGESTIONS, (list) =>
        list?.map((item) => (item.user.id === user.id ? { ...item, user: withFollowState(item.user, result.state) } : item)),
      );
      client.invalidateQueries({ queryKey: ["profile", user.username] });
      client.invalidateQueries({ queryKey: ["feed"], refetchType: "none" });
      if (on) onFollowed();
    },
  });
  const following = label !== "Follow";
  return (
    <li className="user-row suggestion">
      <Avatar user={user} size={44} />
      <div className="user-row-names">
        <Link to={`/${user.username}`} className="username">
          {user.username}
        </Link>
        <span className="display-name">
          {suggestionNote(suggestion, "Suggested for you")}
        </span>
        <ErrorBanner error={follow.error} />
      </div>
      <button
        type="button"
        className={following ? "button button-secondary" : "button"}
        aria-label={`${label} ${user.username}`}
        disabled={follow.isPending}
        onClick={() => follow.mutate(!following)}
      >
        {label}
      </button>
    </li>
  );
}

function useSuggestions() {
  return useQuery({
    queryKey: SUGGESTIONS,
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/suggestions/accounts", { params: { query: { limit: 8 } } })),
  });
}

/** How many accounts the wide screens' column suggests. */
const COLUMN_SUGGESTIONS = 5;

/** Beside the feed on wide screens (issue 17, finish): a few accounts to follow, as the empty feed's
 * welcome suggests them (the same list); nothing while there are none or they fail to load. */
export function SuggestionsColumn() {
  const suggestions = useSuggestions();
  const shown = suggestions.data?.slice(0, COLUMN_SUGGESTIONS) ?? [];
  if (shown.length === 0) return null;
  return (
    <aside className="home-aside" aria-labelledby="home-aside-title">
      <h2 id="home-aside-title" className="home-aside-title">
        Suggested for you
      </h2>
      <ul className="list-plain">
        {shown.map((suggestion) => (
          <SuggestionRow key={suggestion.user.id} suggestion={suggestion} onFollowed={() => undefined} />
        ))}
      </ul>
      <Link to="/explore" className="home-aside-more">
        See more on Explore
      </Link>
    </aside>
  );
}

export function Welcome({ onShowFeed }: { onShowFeed: () => void }) {
  const [followed, setFollowed] = useState(0);
  const suggestions = useSuggestions();
  return (
    <section className="welcome" aria-labelledby="welcome-title">
      <div className="welcome-intro">
        <span className="welcome-mark" aria-hidden="true">
          <Icon name="camera" size={36} strokeWidth={1.6} />
        </span>
        <h2 id="welcome-title">Welcome to Viewfinder</h2>
        <p className="hint">When you follow people, you'll see the photos and videos they share here.</p>
        {followed > 0 ? (
          <button type="button" className="button" onClick={onShowFeed}>
            See their posts
          </button>
        ) : (
          <Link to="/explore" className="button">
            Explore posts
          </Link>
        )}
      </div>
      <h3 className="welcome-subtitle">Suggested for you</h3>
      {suggestions.isPending && <Spinner label="Loading suggestions" />}
      <ErrorBanner error={suggestions.error} onRetry={() => suggestions.refetch()} />
      {suggestions.data?.length === 0 && (
        <p className="hint">
          No suggestions yet. <Link to="/search">Search for people</Link> you know.
        </p>
      )}
      <ul className="list-plain">
        {suggestions.data?.map((suggestion) => (
          <SuggestionRow key={suggestion.user.id} suggestion={suggestion} onFollowed={() => setFollowed((n) => n + 1)} />
        ))}
      </ul>
    </section>
  );
}
