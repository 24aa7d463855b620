/** Search accounts and hashtags as you type (debounced). The query lives in the URL (?q=), so a
 * link or the back button brings the same results back; with no query, signed-in people see
 * suggested accounts. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { api, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { ErrorBanner } from "../components/Errors";
import { Icon } from "../components/Icon";
import { Spinner } from "../components/Spinner";
import { AccountRow, HashtagRow } from "../discovery/ResultRows";
import { SearchForm } from "../discovery/SearchForm";
import { suggestionNote } from "../discovery/suggestionNote";
import { TabPanel, Tabs, type TabSpec } from "../discovery/Tabs";
import "../discovery/discovery.css";

const DEBOUNCE_MS = 200;

type Kind = "top" | "accounts" | "tags";

const TABS: TabSpec<Kind>[] = [
  { id: "top", label: "Top" },
  { id: "accounts", label: "Accounts" },
  { id: "tags", label: "Tags" },
];

/** The input's text, mirrored into ?q= after a pause in typing, and back from the URL when it
 * changes elsewhere (back/forward, a link). */
function useQueryParam(): [text: string, setText: (text: string) => void, q: string] {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  const written = useRef(q);

  useEffect(() => {
    if (q === written.current) return;
    written.current = q;
    setText(q);
  }, [q]);

  useEffect(() => {
    if (text === written.current) return;
    const timer = setTimeout(() => {
      written.current = text;
      setParams(
        (previous) => {
          const next = new URLSearchParams(previous);
          if (text) next.set("q", text);
          else next.delete("q");
          return next;
        },
        { replace: true },
      );
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, setParams]);

  return [text, setText, q];
}

function Suggestions() {
  const query = useQuery({
    queryKey: ["suggestions", "accounts"],
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/suggestions/accounts", { params: { query: { limit: 15 } } })),
  });
  if (query.isPending) return <Spinner label="Loading suggestions" />;
  if (query.isError) return <ErrorBanner error={query.error} onRetry={() => query.refetch()} />;
  if (query.data.length === 0) return null;
  return (
    <section className="search-section" aria-labelledby="suggested-heading">
      <h2 id="suggested-heading">Suggested for you</h2>
      <ul className="list-plain">
        {query.data.map((suggestion) => (
          <AccountRow key={suggestion.user.id} user={suggestion.user} note={suggestionNote(suggestion, "Popular on Viewfinder")} />
        ))}
      </ul>
    </section>
  );
}

function Results({ term, kind }: { term: string; kind: Kind }) {
  const accounts = useQuery({
    queryKey: ["search", "accounts", term],
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/search/accounts", { params: { query: { q: term, limit: 20 } } })),
    placeholderData: keepPreviousData,
    enabled: kind !== "tags",
  });
  const tags = useQuery({
    queryKey: ["search", "hashtags", term],
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/search/hashtags", { params: { query: { q: term, limit: 20 } } })),
    placeholderData: keepPreviousData,
    enabled: kind !== "accounts",
  });
  const shown = [kind !== "tags" && accounts, kind !== "accounts" && tags].filter((query) => query !== false);
  if (shown.some((query) => query.isPending)) return <Spinner label="Searching" />;
  const error = shown.find((query) => query.isError)?.error;
  if (error) return <ErrorBanner error={error} onRetry={() => shown.forEach((query) => query.refetch())} />;

  const accountRows = kind !== "tags" ? (accounts.data ?? []).map((user) => <AccountRow key={user.id} user={user} />) : [];
  const tagRows = kind !== "accounts" ? (tags.data ?? []).map((tag) => <HashtagRow key={tag.name} hashtag={tag} />) : [];
  const rows = term.startsWith("#") ? [...tagRows, ...accountRows] : [...accountRows, ...tagRows];
  if (rows.length === 0) {
    return (
      <p className="search-none" role="status">
        No results for “{term}”.
      </p>
    );
  }
  return (
    <ul className="list-plain search-results" aria-busy={shown.some((query) => query.isPlaceholderData)}>
      {rows}
    </ul>
  );
}

export function Search() {
  const { me } = useMe();
  const [text, setText, q] = useQueryParam();
  const [kind, setKind] = useState<Kind>("top");
  const input = useRef<HTMLInputElement>(null);
  const term = q.trim();

  return (
    <div className="search">
      <h1>Search</h1>
      <SearchForm
        id="search-input"
        onSubmit={(event) => event.preventDefault()}
        inputRef={input}
        autoCapitalize="none"
        spellCheck={false}
        autoFocus
        value={text}
        onChange={(event) => setText(event.target.value)}
      >
        {text && (
          <button
            type="button"
            className="search-clear"
            aria-label="Clear search"
            onClick={() => {
              setText("");
              input.current?.focus();
            }}
          >
            <Icon name="close" size={12} strokeWidth={3} />
          </button>
        )}
      </SearchForm>
      {term ? (
        <>
          <Tabs label="Search results" idPrefix="search" tabs={TABS} selected={kind} onSelect={setKind} />
          <TabPanel idPrefix="search" id={kind}>
            <Results term={term} kind={kind} />
          </TabPanel>
        </>
      ) : me ? (
        <Suggestions />
      ) : (
        <p className="hint search-hint">Find people by name or username, and posts by hashtag.</p>
      )}
    </div>
  );
}
