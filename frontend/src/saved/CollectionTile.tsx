import { Link } from "react-router-dom";
import type { Collection } from "../api/client";
import { Icon } from "../components/Icon";
import { postCount } from "../discovery/ResultRows";
import "./saved.css";

/** A collection as a square cover (its newest post) with its name and size, linking to it. */
export function CollectionTile({ collection }: { collection: Collection }) {
  return (
    <li>
      <Link to={`/saved/${collection.id}`} className="collection-tile">
        <span className="collection-cover">
          {collection.cover ? (
            <img src={collection.cover} alt="" loading="lazy" />
          ) : (
            <span className="collection-cover-empty" aria-hidden="true">
              <Icon name="bookmark" size={32} strokeWidth={1.6} />
            </span>
          )}
        </span>
        <span className="collection-name">{collection.name}</span>{" "}
        <span className="collection-count">{postCount(collection.post_count)}</span>
      </Link>
    </li>
  );
}
