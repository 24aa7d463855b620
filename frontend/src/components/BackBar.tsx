/** The row at the top of a sub-page on phones (a post, a hashtag, a collection, settings…): a back
 * arrow and the page's title, as Instagram shows them. Back returns to the previous screen when the
 * visitor came from one in the app; otherwise (a link opened from elsewhere, a new tab) it goes to
 * `fallback`, the page's parent. Wide screens have the side navigation and show no bar (components.css).
 * The title is what sighted visitors see; the screen's own h1 names the page for screen readers.
 * A screen's own way back for wide screens, after the bar, takes the class "back-bar-wide-only": phones show
 * the bar instead. */
import { useLocation, useNavigate } from "react-router-dom";
import { Icon } from "./Icon";
import "./components.css";

export function BackBar({ title, fallback }: { title: string; fallback: string }) {
  const navigate = useNavigate();
  // react-router keys the first entry of a visit "default": there is no screen of the app before it.
  const inApp = useLocation().key !== "default";
  return (
    <div className="back-bar">
      <button
        type="button"
        className="icon-button back-bar-button"
        aria-label="Back"
        onClick={() => (inApp ? navigate(-1) : navigate(fallback))}
      >
        <BackArrow />
      </button>
      <span className="back-bar-title" aria-hidden="true">
        {title}
      </span>
    </div>
  );
}

/** The back arrow of the bar, and of a screen's own way back on wide screens. */
export function BackArrow({ size = 24 }: { size?: number }) {
  return <Icon name="chevronLeft" size={size} />;
}
