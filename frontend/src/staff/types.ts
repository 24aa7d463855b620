/** The moderation shapes the staff screens, the account status page and the sensitive-media cover
 * use, named from the generated OpenAPI types (src/api/schema.d.ts). */
import type { Schemas } from "../api/client";

export type StaffRef = Schemas["StaffRef"];
export type CaseOut = Schemas["CaseOut"];
export type CaseDetail = Schemas["CaseDetailOut"];
/** One automated flag of a case: the rule that matched (e.g. `keyword rule “cheap pills” (hold)`) and
 * its score, 0..1. */
export type CaseFlag = Schemas["FlagOut"];
export type ActionOut = Schemas["ActionOut"];
export type ActionCreate = Schemas["ActionCreate"];
export type ActionKind = ActionCreate["action"];
export type AppealOut = Schemas["AppealOut"];
export type AppealDecision = Schemas["AppealDecision"];
export type StrikeOut = Schemas["StrikeOut"];
export type RuleOut = Schemas["RuleOut"];
export type RuleKind = RuleOut["kind"];
export type RuleAction = RuleOut["action"];
export type StaffAccountOut = Schemas["StaffAccountOut"];
export type Page<T> = { items: T[]; next_cursor: string | null };
/** The known-bad media list (GET /staff/known-bad-hashes): its size, how many hashes uploads are
 * matched against (those of at least the minimum quality), and the newest 100. */
export type KnownBadHashList = Schemas["HashList"];
export type KnownBadHash = Schemas["HashOut"];
export type HashImport = Schemas["HashImport"];
/** What an import did; `below_quality` of the added are kept but never matched. */
export type HashImportResult = Schemas["ImportOut"];

/** The detection thresholds in force (GET/PATCH /staff/detection/thresholds), the instance's settings
 * they fall back to, and when an admin last changed one. */
export type DetectionThresholds = Schemas["ThresholdsOut"];
export type ThresholdValues = Schemas["InForce"];
export type ThresholdName = keyof ThresholdValues;
/** A PATCH body: a number sets a value, null resets it to the default; absent keys stay as they are. */
export type ThresholdChanges = Schemas["ThresholdsUpdate"];
