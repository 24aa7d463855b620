/** Posts, comments and accounts for the posts area's component tests. */
import type { Comment, Me, MediaItem, Post, UserSummary } from "../api/client";

export function user(username: string, id = `u-${username}`): UserSummary {
  return { id, username, display_name: "", avatar_url: null, is_private: false, relationship: null };
}

export function me(username = "me"): Me {
  return {
    email: `${username}@example.com`,
    email_verified: true,
    is_staff: false,
    role: "none",
    profile: {
      ...user(username),
      bio: "",
      website: "",
      followers_count: 0,
      following_count: 0,
      posts_count: 0,
      created_at: "2024-01-01T00:00:00Z",
    },
  };
}

export function photo(id: string, width = 1080, height = 1080): MediaItem {
  return {
    id,
    kind: "photo",
    state: "ready",
    filter: "normal",
    width,
    height,
    blurhash: null,
    dominant_color: null,
    failure: null,
    looping: false,
    renditions: [{ name: "1080", format: "jpeg", url: `/media/${id}.jpg`, width, height }],
  };
}

export function post(overrides: Partial<Post> = {}): Post {
  return {
    id: "1",
    author: user("alice"),
    state: "ready",
    caption: "Hello",
    location_name: "",
    comments_enabled: true,
    hide_like_count: false,
    items: [{ media: photo("m1"), alt_text: "A red door" }],
    like_count: 12,
    comment_count: 0,
    liked_by_viewer: false,
    saved_by_viewer: false,
    comment_previews: [],
    created_at: new Date(Date.now() - 3 * 3600_000).toISOString(),
    sensitive: false,
    moderation: "visible",
    ...overrides,
  };
}

export function comment(overrides: Partial<Comment> = {}): Comment {
  return {
    id: "c1",
    post_id: "1",
    parent_id: null,
    author: user("bob"),
    text: "Nice",
    like_count: 0,
    reply_count: 0,
    liked_by_viewer: false,
    created_at: new Date(Date.now() - 60_000).toISOString(),
    held: false,
    ...overrides,
  };
}

export const EMPTY_PAGE = { items: [], next_cursor: null };
