/** The frame of every staff screen: the staff navigation (only the screens the role opens) and the
 * screen, or a plain "no access" when the signed-in role lacks the screen's permission. */
import type { ReactNode } from "react";
import { NavLink } from "react-router-dom";
import { useMe } from "../auth/auth";
import { Spinner } from "../components/Spinner";
import { can, type Permission, STAFF_SCREENS } from "./permissions";
import "./staff.css";

export function StaffNav() {
  const { me } = useMe();
  const screens = STAFF_SCREENS.filter((screen) => can(me, screen.permission));
  if (screens.length === 0) return null;
  return (
    <nav className="tabs staff-nav" aria-label="Staff">
      {screens.map((screen) => (
        <NavLink key={screen.to} to={screen.to} end={screen.to === "/staff"}>
          {screen.label}
        </NavLink>
      ))}
    </nav>
  );
}

type Props = { permission: Permission; title: string; children: ReactNode; actions?: ReactNode };

export function StaffScreen({ permission, title, children, actions }: Props) {
  const { me, loading } = useMe();
  if (loading) return <Spinner label="Loading" />;
  if (!can(me, permission)) {
    return (
      <div className="wide staff">
        <StaffNav />
        <div className="empty-state">
          <h1>No access</h1>
          <p>Your staff role doesn't open this screen.</p>
        </div>
      </div>
    );
  }
  return (
    <div className="wide staff">
      <StaffNav />
      <div className="staff-title">
        <h1>{title}</h1>
        {actions}
      </div>
      {children}
    </div>
  );
}
