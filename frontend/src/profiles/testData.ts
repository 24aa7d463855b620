/** Sample API answers for the profile screens' tests. */
import type { Me, Post, Profile, Relationship, UserSummary } from "../api/client";

export const API = "/api/viewfinder/v1";

export function relationship(overrides: Partial<Relationship> = {}): Relationship {
  return { following: false, requested: false, followed_by: false, blocking: false, muting: false, ...overrides };
}

export function profile(overrides: Partial<Profile> = {}): Profile {
  return {
    id: "7",
    username: "alice",
    display_name: "Alice Liddell",
    bio: "Down the #rabbithole with @hatter.",
    website: "https://alice.example/",
    avatar_url: null,
    is_private: false,
    followers_count: 10,
    following_count: 3,
    posts_count: 1,
    created_at: "2024-01-01T00:00:00Z",
    relationship: relationship(),
    ...overrides,
  };
}

export function me(overrides: Partial<Profile> = {}): Me {
  return {
    profile: profile({ id: "1", username: "bob", display_name: "Bob", bio: "", website: "", relationship: null, ...overrides }),
    email: "bob@example.com",
    email_verified: true,
    is_staff: false,
    role: "none",
  };
}

export function user(username: string, overrides: Partial<UserSummary> = {}): UserSummary {
  return {
    id: `u-${username}`,
    username,
    display_name: `${username} display`,
    avatar_url: null,
    is_private: false,
    relationship: relationship(),
    ...overrides,
  };
}

export function post(id: string, author: UserSummary): Post {
  return {
    id,
    author,
    state: "published",
    caption: "A caption",
    location_name: "",
    comments_enabled: true,
    hide_like_count: false,
    items: [
      {
        alt_text: `Photo ${id}`,
        media: {
          id: `m${id}`,
          kind: "image",
          state: "ready",
          filter: "normal",
          width: 100,
          height: 100,
          blurhash: null,
          dominant_color: null,
          renditions: [{ name: "thumb", format: "jpeg", url: `/media/${id}.jpg`, width: 100, height: 100 }],
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
    created_at: "2024-01-02T00:00:00Z",
    sensitive: false,
    moderation: "visible",
  };
}

export const page = <T,>(items: T[], next_cursor: string | null = null) => ({ items, next_cursor });
