/** What each staff role may do, as the server decides it (viewfinder/moderation/roles.py): the web app
 * shows only the staff screens and buttons the signed-in role opens. The API checks the permission at
 * every call anyway; a Python test (tests/accounts/test_me_role.py) keeps this table equal to the
 * server's. */
import type { Me } from "../api/client";

export type Permission =
  | "reports.handle"
  | "content.act"
  | "accounts.act"
  | "roles.assign"
  | "rules.manage"
  | "audit.read"
  | "stats.read"
  | "announcements.manage";

// BEGIN ROLE_PERMISSIONS (read by tests/accounts/test_me_role.py: keep it JSON)
const ROLE_PERMISSIONS: Record<string, readonly Permission[]> = {
  "none": [],
  "owner": ["reports.handle", "content.act", "accounts.act", "roles.assign", "rules.manage", "audit.read", "stats.read", "announcements.manage"],
  "admin": ["reports.handle", "content.act", "accounts.act", "roles.assign", "rules.manage", "audit.read", "stats.read", "announcements.manage"],
  "moderator": ["reports.handle", "content.act", "accounts.act"],
  "analyst": ["stats.read"],
  "community_manager": ["announcements.manage"]
};
// END ROLE_PERMISSIONS

/** The roles an owner or admin may give (and "none" to take one away). */
export const ROLES = ["owner", "admin", "moderator", "analyst", "community_manager", "none"] as const;

export function permissionsOf(role: string | undefined): ReadonlySet<Permission> {
  return new Set(ROLE_PERMISSIONS[role ?? "none"] ?? []);
}

/** The signed-in account's permissions (none when signed out or not staff). */
export function can(me: Pick<Me, "role"> | null | undefined, permission: Permission): boolean {
  return permissionsOf(me?.role).has(permission);
}

/** The staff screens a role opens, in the order of the staff navigation. */
export const STAFF_SCREENS = [
  { to: "/staff", label: "Queue", permission: "reports.handle" },
  { to: "/staff/rules", label: "Rules", permission: "rules.manage" },
  { to: "/staff/detection", label: "Detection", permission: "rules.manage" },
  { to: "/staff/roles", label: "Roles", permission: "roles.assign" },
  { to: "/staff/audit", label: "Audit log", permission: "audit.read" },
  { to: "/staff/recommendations", label: "Recommendations", permission: "stats.read" },
  { to: "/staff/announcements", label: "Announcements", permission: "announcements.manage" },
  { to: "/staff/featured", label: "Featured", permission: "announcements.manage" },
] as const satisfies ReadonlyArray<{ to: string; label: string; permission: Permission }>;

/** The first staff screen this account may open, or null when none (not staff). */
export function firstStaffScreen(me: Pick<Me, "role"> | null | undefined): string | null {
  return STAFF_SCREENS.find((screen) => can(me, screen.permission))?.to ?? null;
}
