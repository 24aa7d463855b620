/** Text with its #hashtags linked to /tags/<tag> and its @mentions to /<username>, as the API reads them. */
import { Fragment } from "react";
import { Link } from "react-router-dom";

// The API's own rules (viewfinder/posts/services.py): a tag is word characters after a "#" that does not
// follow a word character or "#"; a mention is a username after an "@" likewise, less a trailing dot.
const TOKEN = /(?<![\p{L}\p{N}_#])#([\p{L}\p{N}_]{1,100})|(?<![\p{L}\p{N}_@])@([A-Za-z0-9._]{1,30})/gu;

export type Piece = { text: string; to?: string };

/** Splits `text` into plain pieces and linked ones. */
export function linkPieces(text: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const [whole, tag, mention] = match;
    const start = match.index;
    let token = whole;
    let to: string;
    if (tag !== undefined) {
      to = `/tags/${encodeURIComponent(tag.toLowerCase())}`;
    } else {
      const name = (mention ?? "").replace(/\.+$/, "");
      if (!name) continue;
      token = `@${name}`;
      to = `/${name}`;
    }
    if (start > last) pieces.push({ text: text.slice(last, start) });
    pieces.push({ text: token, to });
    last = start + token.length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });
  return pieces;
}

export function Linkified({ text }: { text: string }) {
  return (
    <>
      {linkPieces(text).map((piece, index) => (
        <Fragment key={index}>{piece.to ? <Link to={piece.to}>{piece.text}</Link> : piece.text}</Fragment>
      ))}
    </>
  );
}
