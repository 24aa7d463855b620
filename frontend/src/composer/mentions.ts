/** Finding the #hashtag or @mention being typed at the caret, and completing it. Mirrors the
 * server's patterns (viewfinder/posts/services.py): a tag is word characters, a username
 * letters, digits, "." and "_", and neither follows a word character. */

export type TokenKind = "hashtag" | "mention";

/** The token at the caret: `start` is the index of its "#" or "@", `end` the end of its word. */
export type Token = { kind: TokenKind; query: string; start: number; end: number };

const WORD = /[\p{L}\p{M}\p{N}_]/u;
const USERNAME = /[A-Za-z0-9._]/;
const SIGIL: Record<string, TokenKind> = { "#": "hashtag", "@": "mention" };
const MAX_LENGTH: Record<TokenKind, number> = { hashtag: 100, mention: 30 };

function allowed(kind: TokenKind, char: string): boolean {
  return kind === "hashtag" ? WORD.test(char) : USERNAME.test(char);
}

/** The hashtag or mention the caret is in (or just after), if it has at least one character. */
export function activeToken(text: string, caret: number): Token | null {
  let start = caret - 1;
  while (start >= 0 && !(text[start]! in SIGIL)) {
    if (!WORD.test(text[start]!) && text[start] !== ".") return null;
    start -= 1;
  }
  if (start < 0) return null;
  const kind = SIGIL[text[start]!]!;
  const before = text[start - 1];
  if (before !== undefined && (WORD.test(before) || before === text[start])) return null;
  const query = text.slice(start + 1, caret);
  if (query.length === 0 || query.length > MAX_LENGTH[kind] || ![...query].every((c) => allowed(kind, c))) return null;
  let end = caret;
  while (end < text.length && allowed(kind, text[end]!)) end += 1;
  return { kind, query, start, end };
}

/** The text with the token replaced by the completion and a space, and the caret after them. */
export function insertCompletion(text: string, token: Token, name: string): { text: string; caret: number } {
  const sigil = token.kind === "hashtag" ? "#" : "@";
  const after = text.slice(token.end);
  const inserted = `${sigil}${name} `;
  const rest = after.startsWith(" ") ? after.slice(1) : after;
  return { text: text.slice(0, token.start) + inserted + rest, caret: token.start + inserted.length };
}
