/** The staff API as the screens use it: query keys and typed calls. */
import { api, type Schemas, unwrap } from "../api/client";
import type {
  ActionCreate,
  ActionOut,
  AppealDecision,
  AppealOut,
  CaseDetail,
  CaseOut,
  DetectionThresholds,
  HashImport,
  HashImportResult,
  KnownBadHashList,
  Page,
  RuleAction,
  RuleKind,
  RuleOut,
  StaffAccountOut,
  StrikeOut,
  ThresholdChanges,
} from "./types";

export type Note = Schemas["NoteOut"];
export type StaffMember = Schemas["StaffMemberOut"];
export type AuditEntry = Schemas["AuditEntryOut"];
export type AuditFilter = { actor?: string; action?: string; target_kind?: string; target_id?: string };

export const QUEUE_KEY = ["staff", "queue"] as const;
export const caseKey = (id: string) => ["staff", "case", id] as const;
export const RULES_KEY = ["staff", "rules"] as const;
export const ROLES_KEY = ["staff", "roles"] as const;
export const STRIKES_KEY = ["me", "strikes"] as const;
export const THRESHOLDS_KEY = ["staff", "detection", "thresholds"] as const;
export const KNOWN_BAD_KEY = ["staff", "known-bad-hashes"] as const;

const V1 = "/api/viewfinder/v1";

export function fetchQueue(cursor: string | undefined): Promise<Page<CaseOut>> {
  return unwrap(api.GET(`${V1}/staff/cases`, { params: { query: { cursor } } }));
}

export function fetchCase(id: string): Promise<CaseDetail> {
  return unwrap(api.GET(`${V1}/staff/cases/{case_id}`, { params: { path: { case_id: id } } }));
}

export function claimCase(id: string): Promise<CaseOut> {
  return unwrap(api.POST(`${V1}/staff/cases/{case_id}/claim`, { params: { path: { case_id: id } } }));
}

export function releaseCase(id: string): Promise<CaseOut> {
  return unwrap(api.POST(`${V1}/staff/cases/{case_id}/release`, { params: { path: { case_id: id } } }));
}

export function addNote(id: string, text: string): Promise<Note> {
  return unwrap(api.POST(`${V1}/staff/cases/{case_id}/notes`, { params: { path: { case_id: id } }, body: { text } }));
}

export function takeAction(id: string, body: ActionCreate): Promise<{ action: ActionOut; case: CaseOut }> {
  return unwrap(api.POST(`${V1}/staff/cases/{case_id}/actions`, { params: { path: { case_id: id } }, body }));
}

export function decideAppeal(id: string, body: AppealDecision): Promise<{ appeal: AppealOut; case: CaseOut }> {
  return unwrap(api.POST(`${V1}/staff/cases/{case_id}/appeal`, { params: { path: { case_id: id } }, body }));
}

export function fetchStaffAccount(username: string): Promise<StaffAccountOut> {
  return unwrap(api.GET(`${V1}/staff/accounts/{username}`, { params: { path: { username } } }));
}

export function fetchRules(): Promise<{ items: RuleOut[] }> {
  return unwrap(api.GET(`${V1}/staff/rules`));
}

export function createRule(body: { kind: RuleKind; pattern: string; action: RuleAction }): Promise<RuleOut> {
  return unwrap(api.POST(`${V1}/staff/rules`, { body }));
}

export function updateRule(id: string, body: { action?: RuleAction; enabled?: boolean }): Promise<RuleOut> {
  return unwrap(api.PATCH(`${V1}/staff/rules/{rule_id}`, { params: { path: { rule_id: id } }, body }));
}

export async function deleteRule(id: string): Promise<void> {
  await unwrap(api.DELETE(`${V1}/staff/rules/{rule_id}`, { params: { path: { rule_id: id } } }));
}

export function fetchStaff(): Promise<StaffMember[]> {
  return unwrap(api.GET(`${V1}/staff/roles`));
}

export function assignRole(username: string, role: string, reason: string): Promise<StaffMember> {
  return unwrap(
    api.PUT(`${V1}/staff/roles/{username}`, {
      params: { path: { username } },
      body: { role: role as Schemas["RoleAssignment"]["role"], reason },
    }),
  );
}

export function fetchAudit(filter: AuditFilter, cursor: string | undefined): Promise<Page<AuditEntry>> {
  const query = Object.fromEntries(Object.entries(filter).filter(([, value]) => value));
  return unwrap(api.GET(`${V1}/staff/audit`, { params: { query: { ...query, cursor } } }));
}

export function fetchStrikes(cursor: string | undefined): Promise<Page<StrikeOut>> {
  return unwrap(api.GET(`${V1}/accounts/me/strikes`, { params: { query: { cursor } } }));
}

export function appealStrike(id: string, text: string): Promise<AppealOut> {
  return unwrap(api.POST(`${V1}/accounts/me/strikes/{action_id}/appeal`, { params: { path: { action_id: id } }, body: { text } }));
}

export function fetchKnownBadHashes(): Promise<KnownBadHashList> {
  return unwrap(api.GET(`${V1}/staff/known-bad-hashes`));
}

export function importKnownBadHashes(body: HashImport): Promise<HashImportResult> {
  return unwrap(api.POST(`${V1}/staff/known-bad-hashes/import`, { body }));
}

export async function deleteKnownBadHash(id: string): Promise<void> {
  await unwrap(api.DELETE(`${V1}/staff/known-bad-hashes/{hash_id}`, { params: { path: { hash_id: id } } }));
}

export function fetchThresholds(): Promise<DetectionThresholds> {
  return unwrap(api.GET(`${V1}/staff/detection/thresholds`));
}

export function updateThresholds(changes: ThresholdChanges): Promise<DetectionThresholds> {
  return unwrap(api.PATCH(`${V1}/staff/detection/thresholds`, { body: changes }));
}

/** What listing a removed post's media did: `hashes` are all its media's hashes (hex); of them `added`
 * are new on the list (`below_quality` of those kept, but never matched) and `already_listed` were. */
export type PostHashesResult = Schemas["PostHashesOut"];

/** One click after removing a post: list the PDQ hashes of its media (each photo, each video's
 * keyframes, and their crop/turn variants) as known-bad, so copies are refused at upload (409
 * not_removed while the post is not removed). */
export function addPostHashes(postId: string): Promise<PostHashesResult> {
  return unwrap(api.POST(`${V1}/staff/posts/{post_id}/known-bad-hashes`, { params: { path: { post_id: postId } } }));
}

export type ReadOut = Schemas["ReadOutOut"];
export const readOutKey = (days: number) => ["staff", "recommendations", days] as const;

export function fetchReadOut(days: number): Promise<ReadOut> {
  return unwrap(api.GET(`${V1}/staff/recommendations`, { params: { query: { days } } }));
}
