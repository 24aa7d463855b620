/** Small API bodies for the discovery, notifications and saved tests. */
import type { Collection, Hashtag, Notification, Post, UserSummary } from "../api/client";

export function user(username: string, extra: Partial<UserSummary> = {}): UserSummary {
  return {
    id: `id-${username}`,
    username,
    display_name: username.charAt(0).toUpperCase() + username.slice(1),
    avatar_url: null,
    is_private: false,
    relationship: null,
    ...extra,
  };
}

export function post(id: string, author = user("alice")): Post {
  return {
    id,
    author,
    state: "published",
    caption: `Caption ${id}`,
    location_name: "",
    comments_enabled: true,
    hide_like_count: false,
    items: [
      {
        alt_text: `Photo ${id}`,
        media: {
          id: `m-${id}`,
          kind: "photo",
          state: "ready",
          filter: "none",
          width: 1080,
          height: 1080,
          blurhash: null,
          dominant_color: null,
          renditions: [{ name: "thumb", format: "jpeg", url: `/media/${id}-thumb.jpg`, width: 320, height: 320 }],
          failure: null,
          looping: false,
        },
      },
    ],
    like_count: 0,
    comment_count: 0,
    liked_by_viewer: false,
    saved_by_viewer: false,
    comment_previews: [],
    created_at: "2024-01-01T00:00:00Z",
    sensitive: false,
    moderation: "visible",
  };
}

export function hashtag(name: string, post_count = 3): Hashtag {
  return { name, post_count };
}

export function notification(extra: Partial<Notification> = {}): Notification {
  const now = new Date().toISOString();
  return {
    id: "n1",
    kind: "like",
    read: false,
    actors: [user("alice")],
    actor_count: 1,
    post: { id: "p1", thumbnail_url: "/media/p1-thumb.jpg" },
    comment_id: null,
    text: "",
    created_at: now,
    updated_at: now,
    ...extra,
  };
}

export function collection(id: string, name: string, post_count = 0): Collection {
  return { id, name, post_count, cover: null, created_at: "2024-01-01T00:00:00Z" };
}
