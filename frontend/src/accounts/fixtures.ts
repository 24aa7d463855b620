/** Test data for the account screens' tests. */
import type { Me } from "../api/client";

export const ME: Me = {
  email: "ada@example.com",
  email_verified: true,
  is_staff: false,
  role: "none",
  profile: {
    id: "1",
    username: "ada",
    display_name: "Ada L.",
    bio: "",
    website: "",
    avatar_url: null,
    is_private: false,
    followers_count: 0,
    following_count: 0,
    posts_count: 0,
    created_at: "2025-01-01T00:00:00Z",
    relationship: null,
  },
};

export const SIGNED_OUT = {
  status: 401,
  body: { error: { code: "not_authenticated", message: "Log in first.", fields: {} } },
};
