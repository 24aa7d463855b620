/** Staff API bodies for the staff screens' tests. */
import { me as viewer, post, user } from "../posts/testData";
import type { ActionOut, CaseDetail, CaseOut, RuleOut, StrikeOut } from "./types";

export const API = "/api/viewfinder/v1";

/** The signed-in account with a staff role. */
export function staffMe(role: string, username = "mia") {
  return { ...viewer(username), role, is_staff: role !== "none" };
}

export function caseOut(id: string, extra: Partial<CaseOut> = {}): CaseOut {
  return {
    id,
    target: "post",
    target_id: `p${id}`,
    account: { id: "u-ola", username: "ola" },
    status: "open",
    priority: 100 - Number(id),
    severity: 2,
    reporters_count: 2,
    reasons: { spam: 2 },
    automated_score: null,
    claimed_by: null,
    claimed_at: null,
    created_at: new Date(Date.now() - 3600_000).toISOString(),
    resolved_at: null,
    ...extra,
  };
}

export function caseDetail(item: CaseOut, extra: Partial<CaseDetail> = {}): CaseDetail {
  return {
    case: item,
    target: {
      deleted: false,
      post: post({ id: item.target_id, author: user("ola", "u-ola"), caption: "Buy followers now" }),
      comment: null,
      account: null,
    },
    reports: [
      { id: "r1", reporter: { id: "u-ben", username: "ben" }, reason: "spam", details: "Same link everywhere", created_at: item.created_at },
    ],
    notes: [],
    earlier_cases: [],
    actions: [],
    appeal: null,
    flags: [],
    ...extra,
  };
}

export function actionOut(extra: Partial<ActionOut> = {}): ActionOut {
  return {
    id: "a1",
    kind: "remove_content",
    target: "post",
    target_id: "p1",
    account: { id: "u-ola", username: "ola" },
    actor: { id: "u-mia", username: "mia" },
    reason: "Spam links",
    policy: "Spam § 2",
    strike: true,
    until: null,
    reversed_at: null,
    created_at: new Date(Date.now() - 7200_000).toISOString(),
    ...extra,
  };
}

export function strikeOut(extra: Partial<StrikeOut> = {}): StrikeOut {
  return {
    id: "a1",
    kind: "remove_content",
    target: "post",
    target_id: "p1",
    reason: "Spam links",
    policy: "Spam § 2",
    strike: true,
    until: null,
    reversed_at: null,
    created_at: new Date(Date.now() - 7200_000).toISOString(),
    appeal: null,
    appealable: true,
    ...extra,
  };
}

export function ruleOut(id: string, extra: Partial<RuleOut> = {}): RuleOut {
  return {
    id,
    kind: "keyword",
    pattern: "cheap pills",
    action: "hold",
    enabled: true,
    created_by: { id: "u-mia", username: "mia" },
    created_at: "2026-12-01T10:00:00Z",
    ...extra,
  };
}
