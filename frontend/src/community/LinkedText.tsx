/** Plain text with its http(s) addresses as links: the text is rendered as text (React escapes it), so
 * markup in an announcement shows as typed; only addresses starting http:// or https:// become links,
 * and they open in a new tab without handing over this page (rel="noopener noreferrer"). */
import type { ReactNode } from "react";

const URL_PATTERN = /https?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that usually ends the sentence, not the address ("see https://x.example/a."). */
const TRAILING = /[.,;:!?)\]}]+$/;

/** The pieces of `text`: strings, and links for each http(s) address in it. */
export function linkPieces(text: string): Array<string | { href: string }> {
  const pieces: Array<string | { href: string }> = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index;
    const href = match[0].replace(TRAILING, "");
    if (start > last) pieces.push(text.slice(last, start));
    pieces.push({ href });
    last = start + href.length;
  }
  if (last < text.length) pieces.push(text.slice(last));
  return pieces;
}

export function LinkedText({ text }: { text: string }): ReactNode {
  return linkPieces(text).map((piece, index) =>
    typeof piece === "string" ? (
      piece
    ) : (
      <a key={index} href={piece.href} target="_blank" rel="noopener noreferrer nofollow">
        {piece.href}
      </a>
    ),
  );
}
