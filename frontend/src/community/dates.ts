/** The dates of an announcement: between the API's ISO instants and a datetime-local field (the
 * viewer's time zone), and where an announcement stands now. */
import type { Announcement } from "./api";

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** "2026-12-06T14:30" in local time for an ISO instant, "" for none. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The ISO instant of a datetime-local value (read as local time), null for an empty field. */
export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export type AnnouncementState = "draft" | "scheduled" | "active" | "ended";

export const STATE_LABELS: Record<AnnouncementState, string> = {
  draft: "Draft",
  scheduled: "Scheduled",
  active: "Active",
  ended: "Ended",
};

/** Draft (not published), scheduled (published, not started), active (members see it) or ended. */
export function announcementState(item: Pick<Announcement, "published" | "starts_at" | "ends_at">, now = Date.now()): AnnouncementState {
  if (!item.published) return "draft";
  if (item.ends_at && new Date(item.ends_at).getTime() <= now) return "ended";
  if (item.starts_at && new Date(item.starts_at).getTime() > now) return "scheduled";
  return "active";
}
