/** The line under a suggested account: how many people you follow follow it, else why the
 * recommender or your likes found it ("Followed by @anna"), else its name, else `fallback`. */
import type { UserSummary } from "../api/client";

export type SuggestedAccount = { user: UserSummary; mutual_count: number; reason?: string | null };

export function suggestionNote({ user, mutual_count, reason }: SuggestedAccount, fallback: string): string {
  if (mutual_count > 0) return `Followed by ${mutual_count} ${mutual_count === 1 ? "person" : "people"} you follow`;
  return reason || user.display_name || fallback;
}
