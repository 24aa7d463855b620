/** Form plumbing shared by the account screens: empty-field checks, which error goes in the banner,
 * and moving focus to the first field the API refused. */
import { type RefObject, useEffect } from "react";
import { ApiError } from "../api/client";

/** An ApiError naming each empty field with its message, or null when every field is filled. */
export function missingFields<K extends string>(values: Record<K, string>, messages: Record<K, string>): ApiError | null {
  const fields: Record<string, string> = {};
  for (const name of Object.keys(messages) as K[]) {
    if (!values[name].trim()) fields[name] = messages[name];
  }
  if (Object.keys(fields).length === 0) return null;
  return new ApiError(400, "validation_error", "Some fields need attention.", fields);
}

/** The error to show above a form: any error that none of the form's own fields explains. */
export function bannerError(error: unknown, fieldNames: readonly string[]): unknown {
  if (error instanceof ApiError && fieldNames.some((name) => error.field(name))) return null;
  return error;
}

/** After a failed submit, focus the first field marked aria-invalid inside `form`. */
export function useFocusFirstInvalid(form: RefObject<HTMLFormElement | null>, error: unknown): void {
  useEffect(() => {
    if (error) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [form, error]);
}
