/** Announcement and featured-account bodies for the community tests. */
import { user } from "../posts/testData";
import type { Announcement, Featured } from "./api";

export function announcement(id: string, extra: Partial<Announcement> = {}): Announcement {
  return {
    id,
    text: `Announcement ${id}`,
    starts_at: null,
    ends_at: null,
    published: true,
    created_at: "2026-12-05T10:00:00Z",
    updated_at: "2026-12-05T10:00:00Z",
    read: false,
    ...extra,
  };
}

export function featured(username: string, extra: Partial<Featured> = {}): Featured {
  return {
    account: { ...user(username), display_name: `${username} Example` },
    note: `Great photos by ${username}`,
    featured_at: "2026-12-05T10:00:00Z",
    featurable: true,
    ...extra,
  };
}
