/** The caption box: a live character count and, while a #hashtag or @mention is typed, suggestions
 * from the search API in the ARIA combobox pattern (arrows to move, Enter or Tab to insert,
 * Escape to close; a click inserts too). */
import { useQuery } from "@tanstack/react-query";
import { type KeyboardEvent, useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import { ApiError, api, unwrap } from "../api/client";
import { Avatar } from "../components/Avatar";
import { FieldError, fieldErrorId } from "../components/Errors";
import { type Token, type TokenKind, activeToken, insertCompletion } from "./mentions";

const SUGGESTION_DELAY_MS = 150;
const SUGGESTION_LIMIT = 6;

type Suggestion = {
  value: string;
  label: string;
  detail: string;
  /** Accounts only. */
  avatar?: { username: string; avatar_url: string | null };
};

function useDebounced<T>(value: T, delay: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

async function fetchSuggestions(kind: TokenKind, q: string, signal: AbortSignal): Promise<Suggestion[]> {
  const query = { q, limit: SUGGESTION_LIMIT };
  if (kind === "hashtag") {
    const tags = await unwrap(api.GET("/api/viewfinder/v1/search/hashtags", { params: { query }, signal }));
    return tags.map((tag) => ({
      value: tag.name,
      label: `#${tag.name}`,
      detail: `${tag.post_count.toLocaleString("en")} ${tag.post_count === 1 ? "post" : "posts"}`,
    }));
  }
  const users = await unwrap(api.GET("/api/viewfinder/v1/search/accounts", { params: { query }, signal }));
  return users.map((user) => ({ value: user.username, label: user.username, detail: user.display_name, avatar: user }));
}

/** Whether a suggestion fits what is typed now (the server's rule: the start of the name, or of
 * a word of an account's display name). */
function fits(suggestion: Suggestion, typed: string): boolean {
  const words = [suggestion.value, ...(suggestion.avatar ? suggestion.detail.split(/\s+/) : [])];
  return words.some((word) => word.toLowerCase().startsWith(typed));
}

/** Suggestions for the token being typed, asked for once typing pauses. Until the answer for
 * exactly this text arrives, the last answer of the same kind shows, narrowed to what still fits. */
function useSuggestions(token: Token | null): Suggestion[] {
  const typed = token?.query.toLowerCase() ?? "";
  const wanted = useDebounced(token ? `${token.kind}:${typed}` : "", SUGGESTION_DELAY_MS);
  const [kind, q = ""] = wanted.split(/:(.*)/s) as [TokenKind | "", string?];
  const settled = kind !== "" && kind === token?.kind;
  const list = kind === "hashtag" ? "hashtags" : "accounts";
  const query = useQuery({
    queryKey: ["search", list, q],
    queryFn: ({ signal }) => fetchSuggestions(kind === "hashtag" ? "hashtag" : "mention", q, signal),
    enabled: settled,
    staleTime: 30_000,
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[1] === list ? previous : undefined),
  });
  if (!settled || !query.data) return [];
  const current = !query.isPlaceholderData && q === typed;
  return current ? query.data : query.data.filter((suggestion) => fits(suggestion, typed));
}

type Props = {
  value: string;
  onChange: (value: string) => void;
  limit: number;
  count: number;
  error: unknown;
};

export function CaptionField({ value, onChange, limit, count, error }: Props) {
  const id = useId();
  const listId = `${id}-suggestions`;
  const countId = `${id}-count`;
  const textarea = useRef<HTMLTextAreaElement>(null);
  const pendingCaret = useRef<number | null>(null);
  const [caret, setCaret] = useState(0);
  const [focused, setFocused] = useState(false);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [highlight, setHighlight] = useState({ key: "", index: 0 });

  const token = focused ? activeToken(value, caret) : null;
  const suggestions = useSuggestions(token);
  const open = token !== null && dismissed !== token.start && suggestions.length > 0;
  const tokenKey = token ? `${token.start}:${token.query}` : "";
  const active = open ? Math.min(highlight.key === tokenKey ? highlight.index : 0, suggestions.length - 1) : -1;
  const optionId = (index: number) => `${id}-option-${index}`;

  useLayoutEffect(() => {
    const at = pendingCaret.current;
    if (at === null || !textarea.current) return;
    pendingCaret.current = null;
    textarea.current.focus();
    textarea.current.setSelectionRange(at, at);
  });

  const choose = (suggestion: Suggestion) => {
    if (!token) return;
    const next = insertCompletion(value, token, suggestion.value);
    pendingCaret.current = next.caret;
    setCaret(next.caret);
    onChange(next.text);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (!open || !token) return;
    const move = (step: number) => {
      event.preventDefault();
      const index = (active + step + suggestions.length) % suggestions.length;
      setHighlight({ key: tokenKey, index });
    };
    if (event.key === "ArrowDown") move(1);
    else if (event.key === "ArrowUp") move(-1);
    else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
      event.preventDefault();
      const suggestion = suggestions[active];
      if (suggestion) choose(suggestion);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      setDismissed(token.start);
    }
  };

  const over = count > limit;
  const invalid = error instanceof ApiError && Boolean(error.field("caption"));
  const describedBy = invalid ? `${countId} ${fieldErrorId("caption")}` : countId;
  return (
    <div className="field composer-caption">
      <label htmlFor={`${id}-caption`}>Caption</label>
      <div className="composer-combobox">
        <textarea
          ref={textarea}
          id={`${id}-caption`}
          rows={5}
          value={value}
          placeholder="Write a caption… Use # for hashtags and @ to mention people."
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={open && active >= 0 ? optionId(active) : undefined}
          aria-invalid={over || invalid || undefined}
          aria-describedby={describedBy}
          onChange={(event) => {
            setCaret(event.currentTarget.selectionStart);
            setDismissed(null);
            onChange(event.currentTarget.value);
          }}
          onSelect={(event) => setCaret(event.currentTarget.selectionStart)}
          onKeyDown={onKeyDown}
          onFocus={() => setFocused(true)}
          onBlur={() => setFocused(false)}
        />
        <ul id={listId} role="listbox" aria-label="Suggestions" className="composer-suggestions" hidden={!open}>
          {open &&
            suggestions.map((suggestion, index) => (
              <li
                key={suggestion.label}
                id={optionId(index)}
                role="option"
                aria-selected={index === active}
                className="composer-suggestion"
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => choose(suggestion)}
              >
                {suggestion.avatar ? (
                  <Avatar user={suggestion.avatar} size={32} />
                ) : (
                  <span className="composer-hash" aria-hidden="true">
                    #
                  </span>
                )}
                <span className="composer-suggestion-text">
                  <span className="composer-suggestion-label">{suggestion.label}</span>{" "}
                  {suggestion.detail && <span className="composer-suggestion-detail">{suggestion.detail}</span>}
                </span>
              </li>
            ))}
        </ul>
      </div>
      <div className="composer-caption-foot">
        <FieldError error={error} name="caption" />
        <span id={countId} className={over ? "composer-count is-over" : "composer-count"}>
          {count.toLocaleString("en")}/{limit.toLocaleString("en")}
          <span className="visually-hidden"> characters</span>
        </span>
      </div>
      <p className="visually-hidden" role="status">
        {open ? `${suggestions.length} ${suggestions.length === 1 ? "suggestion" : "suggestions"}` : ""}
      </p>
    </div>
  );
}
