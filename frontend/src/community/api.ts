/** Announcements and featured accounts (issue 14, community manager): the shapes and calls the staff
 * screens, the home feed's announcement strip and Explore's "Featured" row use. */
import { api, type Schemas, unwrap } from "../api/client";
import type { PageOf } from "../components/InfiniteList";

/** An announcement: plain text (links allowed) shown to members while published and inside its window
 * (`starts_at`/`ends_at`, either may be open). `read`: this member dismissed it (always false on the
 * staff routes). */
export type Announcement = Schemas["AnnouncementOut"];

/** A new announcement. */
export type AnnouncementCreate = Schemas["AnnouncementCreate"];

/** What a staff member changes (only the fields given); `null` clears a date. */
export type AnnouncementWrite = Schemas["AnnouncementUpdate"];

/** A featured account. `featurable` is false (staff list only) for an account limited, suspended,
 * banned or deactivated since it was featured: Explore leaves it out, and staff may remove it. */
export type Featured = Schemas["FeaturedOut"];

export const STAFF_ANNOUNCEMENTS_KEY = ["staff", "announcements"] as const;
export const STAFF_FEATURED_KEY = ["staff", "featured"] as const;
export const ANNOUNCEMENTS_KEY = ["announcements"] as const;
export const FEATURED_KEY = ["featured"] as const;

const V1 = "/api/viewfinder/v1";
const announcement = (id: string) => ({ params: { path: { announcement_id: id } } });
const account = (username: string) => ({ params: { path: { username } } });

// ---------- staff: announcements ----------

export function fetchStaffAnnouncements(cursor: string | undefined): Promise<PageOf<Announcement>> {
  return unwrap(api.GET(`${V1}/staff/announcements`, { params: { query: { cursor } } }));
}

export function createAnnouncement(body: AnnouncementCreate): Promise<Announcement> {
  return unwrap(api.POST(`${V1}/staff/announcements`, { body }));
}

export function updateAnnouncement(id: string, body: AnnouncementWrite): Promise<Announcement> {
  return unwrap(api.PATCH(`${V1}/staff/announcements/{announcement_id}`, { ...announcement(id), body }));
}

export async function deleteAnnouncement(id: string): Promise<void> {
  await unwrap(api.DELETE(`${V1}/staff/announcements/{announcement_id}`, announcement(id)));
}

// ---------- staff: featured accounts ----------

export function fetchStaffFeatured(): Promise<{ items: Featured[] }> {
  return unwrap(api.GET(`${V1}/staff/featured`));
}

export function featureAccount(username: string, note: string): Promise<Featured> {
  return unwrap(api.PUT(`${V1}/staff/featured/{username}`, { ...account(username), body: { note } }));
}

export async function unfeatureAccount(username: string): Promise<void> {
  await unwrap(api.DELETE(`${V1}/staff/featured/{username}`, account(username)));
}

// ---------- members ----------

export function fetchAnnouncements(): Promise<{ items: Announcement[] }> {
  return unwrap(api.GET(`${V1}/announcements`));
}

export async function markAnnouncementRead(id: string): Promise<void> {
  await unwrap(api.POST(`${V1}/announcements/{announcement_id}/read`, announcement(id)));
}

export function fetchFeatured(): Promise<{ items: Featured[] }> {
  return unwrap(api.GET(`${V1}/discover/featured`));
}
