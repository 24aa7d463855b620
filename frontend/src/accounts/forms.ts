/** Form plumbing shared by the account screens: the fields' values, empty-field checks, which error
 * goes in the banner, moving focus to the first field the API refused, and the request itself. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, type RefObject, useEffect, useRef, useState } from "react";
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

function blank<K extends string>(fields: Record<K, string>): Record<K, string> {
  return Object.fromEntries(Object.keys(fields).map((name) => [name, ""])) as Record<K, string>;
}

type AccountFormOptions<K extends string, R, O extends string> = {
  /** The required fields of the form (all text), each with its message for when it is left empty. */
  required: Record<K, string>;
  /** Text fields that may be left empty (sent as ""). */
  optional?: readonly O[];
  /** The request, sent with the values once every field is filled. */
  send: (values: Record<K | O, string>) => Promise<R>;
  /** After the request succeeds; `clear` empties the fields. */
  onSuccess?: (response: R, clear: () => void) => void;
};

/** A form of text fields that sends one request. Empty required fields are refused before sending,
 * with the same kind of error the API gives, so either shows beside its field (spread `field(name)`
 * into a TextField) or else in the banner (`<ErrorBanner error={banner} />`). */
export function useAccountForm<K extends string, R, O extends string = never>({
  required,
  optional = [],
  send,
  onSuccess,
}: AccountFormOptions<K, R, O>) {
  const fields = { ...blank(required), ...Object.fromEntries(optional.map((name) => [name, ""])) } as Record<K | O, string>;
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState(() => fields);
  const [missing, setMissing] = useState<ApiError | null>(null);
  const request = useMutation({
    mutationFn: send,
    onSuccess: (response) => onSuccess?.(response, () => setValues(fields)),
  });
  const error = missing ?? request.error;
  useFocusFirstInvalid(form, error);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const empty = missingFields(values, required);
    setMissing(empty);
    if (empty) request.reset();
    else request.mutate(values);
  };
  /** The value, change handler and error of the field `name`, for a TextField. */
  const field = (name: K | O) => ({
    name,
    value: values[name],
    onChange: (value: string) => setValues((old) => ({ ...old, [name]: value })),
    error,
  });
  return { form, onSubmit, field, banner: bannerError(error, Object.keys(fields)), request };
}
