/** The frame of every screen: a side navigation on wide screens, a top bar and a bottom tab bar on
 * phones (for a signed-out visitor, a bar to log in or sign up and come back here), a skip link, and
 * the screen itself inside an error boundary. */
import type { ReactNode } from "react";
import { Link, NavLink, Outlet, useLocation } from "react-router-dom";
import { AccountNoticeBanner } from "../accounts/accountNotice";
import { pathWithNext } from "../accounts/signIn";
import { VerifyEmailBanner } from "../accounts/email/VerifyEmailBanner";
import { useMe } from "../auth/auth";
import { useUnreadCount } from "../notifications/unread";
import { firstStaffScreen } from "../staff/permissions";
import { Avatar } from "./Avatar";
import { ErrorBoundary } from "./Errors";
import { Icon } from "./Icon";
import { Logo } from "./Logo";
import { OfflineBanner } from "./Offline";
import { useScrollToTopOnNewPage } from "./scrollTop";

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
  const { me, loading } = useMe();
  const unread = useUnreadCount(Boolean(me));
  const username = me?.profile.username;
  const staffHome = firstStaffScreen(me);
  const { pathname, search } = useLocation();
  useScrollToTopOnNewPage();
  const signInScreen = !me && (pathname === "/login" || pathname === "/signup");
  const here = `${pathname}${search}`;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar" hidden={signInScreen}>
        <Link to="/" className="logo">
          <Logo />
        </Link>
        {me && (
          <nav aria-label="Shortcuts" className="top-actions">
            {staffHome && (
              <NavLink to={staffHome} className="icon-button" aria-label="Staff">
                <Icon name="shield" />
              </NavLink>
            )}
            <NavLink to="/search" className="icon-button" aria-label="Search">
              <Icon name="search" />
            </NavLink>
            <NavLink to="/notifications" className="icon-button" aria-label="Notifications">
              <Icon name="heart" />
              <Badge count={unread} />
            </NavLink>
          </nav>
        )}
      </header>
      <nav className="side-nav" aria-label="Main">
        <Link to="/" className="logo side-logo">
          <Logo />
        </Link>
        {me ? (
          <ul>
            <Item to="/" icon={<Icon name="home" />} label="Home" />
            <Item to="/search" icon={<Icon name="search" />} label="Search" />
            <Item to="/explore" icon={<Icon name="explore" />} label="Explore" />
            <Item to="/create" icon={<Icon name="create" />} label="Create" />
            <Item to="/notifications" icon={<Icon name="heart" />} label="Notifications">
              <Badge count={unread} />
            </Item>
            <Item to="/saved" icon={<Icon name="bookmark" />} label="Saved" />
            <Item to={`/${username}`} icon={me && <Avatar user={me.profile} size={24} />} label="Profile" />
            <Item to="/settings" icon={<Icon name="settings" />} label="Settings" />
            {staffHome && <Item to={staffHome} icon={<Icon name="shield" />} label="Staff" />}
          </ul>
        ) : (
          <ul>
            <Item to="/explore" icon={<Icon name="explore" />} label="Explore" />
            <Item to="/login" icon={<Icon name="login" />} label="Log in" />
            <Item to="/signup" icon={<Icon name="signup" />} label="Sign up" />
          </ul>
        )}
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        {me && <AccountNoticeBanner only={["reactivated", "deletion_cancelled"]} />}
        <OfflineBanner />
        <VerifyEmailBanner />
        <ErrorBoundary>
          <Outlet />
        </ErrorBoundary>
      </main>
      {me && (
        <nav className="tab-bar" aria-label="Tabs">
          <ul>
            <Item to="/" icon={<Icon name="home" />} label="Home" />
            <Item to="/explore" icon={<Icon name="explore" />} label="Explore" />
            <Item to="/create" icon={<Icon name="create" />} label="Create" />
            <Item to="/saved" icon={<Icon name="bookmark" />} label="Saved" />
            <Item to={`/${username}`} icon={<Avatar user={me.profile} size={24} />} label="Profile" />
          </ul>
        </nav>
      )}
      {/* Not on the landing page (`/` signed out), which is all about joining already. */}
      {!me && !loading && !signInScreen && pathname !== "/" && (
        <aside className="join-bar" aria-label="Join Viewfinder">
          <p className="join-bar-text">Sign up to see photos and videos from your friends.</p>
          <Link to={pathWithNext("/login", here)} className="button">
            Log in
          </Link>
          <Link to={pathWithNext("/signup", here)} className="button button-secondary">
            Sign up
          </Link>
        </aside>
      )}
    </div>
  );
}
