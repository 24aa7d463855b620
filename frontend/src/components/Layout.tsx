/** The frame of every screen: a side navigation on wide screens, a top bar and a bottom tab bar on
 * phones, a skip link, and the screen itself inside an error boundary. */
import type { ReactNode } from "react";
import { Link, NavLink, Outlet } from "react-router-dom";
import { useMe } from "../auth/auth";
import { useUnreadCount } from "../notifications/unread";
import { Avatar } from "./Avatar";
import { ErrorBoundary } from "./Errors";

function Badge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span className="badge" data-testid="unread-badge">
      {count > 99 ? "99+" : count}
      <span className="visually-hidden"> unread</span>
    </span>
  );
}

function Item({ to, icon, label, children }: { to: string; icon: ReactNode; label: string; children?: ReactNode }) {
  return (
    <li>
      <NavLink to={to} end={to === "/"} className="nav-link">
        <span className="nav-icon" aria-hidden="true">
          {icon}
        </span>
        <span className="nav-label">{label}</span>
        {children}
      </NavLink>
    </li>
  );
}

export function Layout() {
  const { me } = useMe();
  const unread = useUnreadCount(Boolean(me));
  const username = me?.profile.username;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <Link to="/" className="logo">
          Viewfinder
        </Link>
        {me && (
          <nav aria-label="Shortcuts" className="top-actions">
            <NavLink to="/search" className="icon-button" aria-label="Search">
              ⌕
            </NavLink>
            <NavLink to="/notifications" className="icon-button" aria-label="Notifications">
              ♡<Badge count={unread} />
            </NavLink>
          </nav>
        )}
      </header>
      <nav className="side-nav" aria-label="Main">
        <Link to="/" className="logo side-logo">
          Viewfinder
        </Link>
        {me ? (
          <ul>
            <Item to="/" icon="⌂" label="Home" />
            <Item to="/search" icon="⌕" label="Search" />
            <Item to="/explore" icon="◎" label="Explore" />
            <Item to="/create" icon="＋" label="Create" />
            <Item to="/notifications" icon="♡" label="Notifications">
              <Badge count={unread} />
            </Item>
            <Item to="/saved" icon="⚑" label="Saved" />
            <Item to={`/${username}`} icon={me && <Avatar user={me.profile} size={24} />} label="Profile" />
            <Item to="/settings" icon="⚙" label="Settings" />
          </ul>
        ) : (
          <ul>
            <Item to="/explore" icon="◎" label="Explore" />
            <Item to="/login" icon="→" label="Log in" />
            <Item to="/signup" icon="＋" label="Sign up" />
          </ul>
        )}
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <ErrorBoundary>
          <Outlet />
        </ErrorBoundary>
      </main>
      {me && (
        <nav className="tab-bar" aria-label="Tabs">
          <ul>
            <Item to="/" icon="⌂" label="Home" />
            <Item to="/explore" icon="◎" label="Explore" />
            <Item to="/create" icon="＋" label="Create" />
            <Item to="/saved" icon="⚑" label="Saved" />
            <Item to={`/${username}`} icon={<Avatar user={me.profile} size={24} />} label="Profile" />
          </ul>
        </nav>
      )}
    </div>
  );
}
