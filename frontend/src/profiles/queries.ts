/** Profiles and the follow graph: query keys, fetchers, and the cache updates every screen relies on
 * after a follow, unfollow, block or profile change (so the UI agrees with itself without a reload). */
import type { InfiniteData, QueryClient } from "@tanstack/react-query";
import { useQuery } from "@tanstack/react-query";
import { api, type Me, type Post, type Profile, type Relationship, type UserSummary, unwrap } from "../api/client";
import { ME_KEY } from "../auth/auth";
import { type PageOf, useCursorPages } from "../components/InfiniteList";

export type FollowState = "following" | "requested" | "none";
export type ConnectionKind = "followers" | "following";

export const profileKey = (username: string) => ["profile", username] as const;
export const userPostsKey = (username: string) => ["user-posts", username] as const;
export const connectionsKey = (kind: ConnectionKind, username: string) => [kind, username] as const;
export const REQUESTS_KEY = ["requests"] as const;

export function fetchProfile(username: string): Promise<Profile> {
  return unwrap(api.GET("/api/viewfinder/v1/users/{username}", { params: { path: { username } } }));
}

export function useProfile(username: string) {
  return useQuery({ queryKey: profileKey(username), queryFn: () => fetchProfile(username) });
}

export function useUserPosts(username: string) {
  return useCursorPages<Post>(
    userPostsKey(username),
    (cursor) =>
      unwrap(api.GET("/api/viewfinder/v1/users/{username}/posts", { params: { path: { username }, query: { cursor } } })),
  );
}

export function useConnections(kind: ConnectionKind, username: string) {
  return useCursorPages<UserSummary>(connectionsKey(kind, username), (cursor) => {
    const options = { params: { path: { username }, query: { cursor } } };
    return unwrap(
      kind === "followers"
        ? api.GET("/api/viewfinder/v1/users/{username}/followers", options)
        : api.GET("/api/viewfinder/v1/users/{username}/following", options),
    );
  });
}

/** The signed-in account's pending follow requests (one cache for the list and the profile's link). */
export function useFollowRequests(enabled = true) {
  return useCursorPages<UserSummary>(
    REQUESTS_KEY,
    (cursor) => unwrap(api.GET("/api/viewfinder/v1/accounts/follow-requests", { params: { query: { cursor } } })),
    enabled,
  );
}

export function followStateOf(relationship: Relationship | null | undefined): FollowState {
  if (relationship?.following) return "following";
  if (relationship?.requested) return "requested";
  return "none";
}

/** The server's word for a follow state ("following", "requested" or "none"). */
export function parseFollowState(state: string): FollowState {
  return state === "following" || state === "requested" ? state : "none";
}

function withState(relationship: Relationship | null, state: FollowState): Relationship | null {
  if (!relationship) return relationship;
  return { ...relationship, following: state === "following", requested: state === "requested" };
}

type UserPages = InfiniteData<PageOf<UserSummary>>;

function isUserPages(data: unknown): data is UserPages {
  const pages = (data as UserPages | undefined)?.pages;
  return Array.isArray(pages) && pages.every((page) => Array.isArray(page?.items));
}

/** Applies `change` to the user rows named `username` in every cached list of people. */
export function updateUserRows(client: QueryClient, username: string, change: (user: UserSummary) => UserSummary) {
  for (const prefix of ["followers", "following", "requests", "search"]) {
    client.setQueriesData<unknown>({ queryKey: [prefix] }, (data: unknown) => {
      if (!isUserPages(data)) return data;
      return {
        ...data,
        pages: data.pages.map((page) => ({
          ...page,
          items: page.items.map((user) =>
            user && typeof user === "object" && user.username === username ? change(user) : user,
          ),
        })),
      };
    });
  }
}

/** Removes the user rows named `username` from one cached list. */
export function removeUserRow(client: QueryClient, key: readonly unknown[], username: string) {
  client.setQueryData<UserPages>(key, (data) =>
    data && {
      ...data,
      pages: data.pages.map((page) => ({ ...page, items: page.items.filter((user) => user.username !== username) })),
    },
  );
}

/** Adds `delta` to a count of the signed-in account, in ["me"] and in its cached profile. */
export function adjustMyCount(client: QueryClient, field: "followers_count" | "following_count", delta: number) {
  if (delta === 0) return;
  const me = client.getQueryData<Me | null>(ME_KEY);
  if (!me) return;
  const bump = (profile: Profile): Profile => ({ ...profile, [field]: Math.max(0, profile[field] + delta) });
  client.setQueryData<Me>(ME_KEY, { ...me, profile: bump(me.profile) });
  client.setQueryData<Profile>(profileKey(me.profile.username), (profile) => profile && bump(profile));
}

/** Moves every cached copy of the viewer's relationship with `username` from one follow state to another:
 * the profile (and its follower count), the viewer's following count, and rows in lists of people. */
export function applyFollowState(client: QueryClient, username: string, from: FollowState, to: FollowState) {
  if (from === to) return;
  const delta = (to === "following" ? 1 : 0) - (from === "following" ? 1 : 0);
  client.setQueryData<Profile>(profileKey(username), (profile) =>
    profile && {
      ...profile,
      relationship: withState(profile.relationship, to),
      followers_count: Math.max(0, profile.followers_count + delta),
    },
  );
  adjustMyCount(client, "following_count", delta);
  updateUserRows(client, username, (user) => ({ ...user, relationship: withState(user.relationship, to) }));
}

/** Saves the signed-in account as the API answered it, in ["me"] and its cached profile. */
export function storeMe(client: QueryClient, me: Me) {
  client.setQueryData<Me>(ME_KEY, me);
  client.setQueryData<Profile>(profileKey(me.profile.username), (profile) => ({
    ...me.profile,
    relationship: profile?.relationship ?? null,
  }));
}
