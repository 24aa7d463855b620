/** Caption and comment text with #tags linked to /tags/<tag> and @mentions linked to /<username>
 * (the same patterns the API uses to find them). */
import { Fragment, type ReactNode } from "react";
import { Link } from "react-router-dom";

// #tag: not after a word character or "#"; @name: not after a word character or "@".
const TOKEN = /(?<![\w#])#([\p{L}\p{N}_]{1,100})|(?<![\w@])@([A-Za-z0-9._]{1,30})/gu;

export function linkify(text: string): ReactNode[] {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const start = match.index;
    const [whole, tag, mention] = match;
    let shown = whole;
    let link: ReactNode;
    if (tag) {
      link = <Link key={start} to={`/tags/${encodeURIComponent(tag.toLowerCase())}`}>{whole}</Link>;
    } else {
      // A mention's trailing dots end the sentence, not the name.
      const name = (mention ?? "").replace(/\.+$/, "");
      if (!name) continue;
      shown = `@${name}`;
      link = <Link key={start} to={`/${name}`}>{shown}</Link>;
    }
    if (start > last) parts.push(<Fragment key={`t${last}`}>{text.slice(last, start)}</Fragment>);
    parts.push(link);
    last = start + shown.length;
  }
  if (last < text.length) parts.push(<Fragment key={`t${last}`}>{text.slice(last)}</Fragment>);
  return parts;
}

export function RichText({ text }: { text: string }) {
  return <>{linkify(text)}</>;
}
