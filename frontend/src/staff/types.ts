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
