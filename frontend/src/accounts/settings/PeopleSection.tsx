/** The accounts you blocked or muted, each with the button that undoes it. */
import { type InfiniteData, useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, type UserSummary, unwrap } from "../../api/client";
import { Avatar } from "../../components/Avatar";
import { ErrorBanner } from "../../components/Errors";
import { LoadMore, type PageOf, useCursorPages } from "../../components/InfiniteList";
import { Spinner } from "../../components/Spinner";
import { Section } from "./Section";

type Kind = "blocked" | "muted";

const COPY: Record<Kind, { id: string; title: string; hint: string; empty: string; action: string }> = {
  blocked: {
    id: "blocked",
    title: "Blocked accounts",
    hint: "They can't find your profile or posts, and you won't see theirs.",
    empty: "You haven't blocked anyone.",
    action: "Unblock",
  },
  muted: {
    id: "muted",
    title: "Muted accounts",
    hint: "Their posts stay out of your feed; they aren't told.",
    empty: "You haven't muted anyone.",
    action: "Unmute",
  },
};

function fetchPage(kind: Kind, cursor: string | undefined) {
  const params = { params: { query: { cursor } } };
  return kind === "blocked"
    ? unwrap(api.GET("/api/viewfinder/v1/accounts/blocked", params))
    : unwrap(api.GET("/api/viewfinder/v1/accounts/muted", params));
}

function undo(kind: Kind, username: string) {
  const params = { params: { path: { username } } };
  return kind === "blocked"
    ? unwrap(api.DELETE("/api/viewfinder/v1/users/{username}/block", params))
    : unwrap(api.DELETE("/api/viewfinder/v1/users/{username}/mute", params));
}

export function PeopleSection({ kind }: { kind: Kind }) {
  const copy = COPY[kind];
  const key = [kind];
  const client = useQueryClient();
  const people = useCursorPages<UserSummary>(key, (cursor) => fetchPage(kind, cursor));
  const release = useMutation({
    mutationFn: (user: UserSummary) => undo(kind, user.username),
    onSuccess: (_, user) => {
      client.setQueryData<InfiniteData<PageOf<UserSummary>>>(key, (old) =>
        old && { ...old, pages: old.pages.map((page) => ({ ...page, items: page.items.filter((u) => u.id !== user.id) })) },
      );
      void client.invalidateQueries({ queryKey: ["profile", user.username] });
    },
  });

  return (
    <Section id={copy.id} title={copy.title} hint={copy.hint}>
      <ErrorBanner error={release.error} />
      {people.isPending ? (
        <Spinner label={`Loading ${copy.title.toLowerCase()}`} />
      ) : people.isError && people.items.length === 0 ? (
        <ErrorBanner error={people.error} onRetry={() => void people.refetch()} />
      ) : people.items.length === 0 ? (
        <p className="settings-empty">{copy.empty}</p>
      ) : (
        <>
          <ul className="list-plain" aria-label={copy.title}>
            {people.items.map((user) => (
              <li key={user.id} className="user-row">
                <Link to={`/${user.username}`} tabIndex={-1} aria-hidden="true">
                  <Avatar user={user} size={44} />
                </Link>
                <div className="user-row-names">
                  <Link to={`/${user.username}`} className="username">
                    {user.username}
                  </Link>
                  {user.display_name && <span className="display-name">{user.display_name}</span>}
                </div>
                <button
                  type="button"
                  className="button button-secondary"
                  aria-label={`${copy.action} ${user.username}`}
                  onClick={() => release.mutate(user)}
                  disabled={release.isPending && release.variables?.id === user.id}
                >
                  {copy.action}
                </button>
              </li>
            ))}
          </ul>
          <LoadMore {...people} />
        </>
      )}
    </Section>
  );
}
