/** Words for the moderation values the API sends. */
import type { ActionKind } from "./types";

export const ACTION_LABELS: Record<ActionKind, string> = {
  dismiss: "Dismiss",
  remove_content: "Remove",
  mark_sensitive: "Mark sensitive",
  restrict: "Restrict",
  limit: "Limit",
  suspend: "Suspend",
  ban: "Ban",
  delete: "Delete",
};

/** What was done, in the past tense, for histories and the account's own status page. */
export const ACTION_DONE: Record<string, string> = {
  dismiss: "Dismissed",
  remove_content: "Content removed",
  mark_sensitive: "Marked sensitive",
  restrict: "Account restricted",
  limit: "Account limited",
  suspend: "Account suspended",
  ban: "Account banned",
  delete: "Deleted",
};

export const REASON_LABELS: Record<string, string> = {
  spam: "Spam",
  nudity: "Nudity",
  harassment: "Harassment",
  violence: "Violence",
  hate: "Hate",
  false_information: "False information",
  other: "Other",
};

export const TARGET_LABELS: Record<string, string> = {
  post: "Post",
  comment: "Comment",
  user: "Account",
  appeal: "Appeal",
};

/** "Spam ×2, Hate" from the reports' counts by reason. */
export function reasonsLine(reasons: Record<string, number | undefined>): string {
  return Object.entries(reasons)
    .filter(([, count]) => (count ?? 0) > 0)
    .map(([reason, count]) => `${REASON_LABELS[reason] ?? reason}${(count ?? 0) > 1 ? ` ×${count}` : ""}`)
    .join(", ");
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
