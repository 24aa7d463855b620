/** A labelled input with its hint and the API's message for it (aria-invalid + aria-describedby).
 * The "float" look is the sign-in cards' label that sits inside the box and shrinks once typed in.
 * A password field has a Show / Hide button once something is typed, to check it on a phone. */
import { type InputHTMLAttributes, useId, useState } from "react";
import { ApiError } from "../api/client";
import { FieldError } from "../components/Errors";

type TextFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "name" | "value" | "onChange" | "id"> & {
  name: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: unknown;
  hint?: string;
  look?: "float" | "plain";
};

export function TextField({ name, label, value, onChange, error, hint, look = "plain", ...input }: TextFieldProps) {
  const id = useId();
  const inputId = `${id}-input`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const [revealed, setRevealed] = useState(false);
  const password = input.type === "password";
  const invalid = error instanceof ApiError && Boolean(error.field(name));
  const describedBy = [invalid && errorId, hint && hintId].filter(Boolean).join(" ") || undefined;
  const control = (
    <input
      {...input}
      type={password && revealed ? "text" : input.type}
      id={inputId}
      name={name}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      aria-invalid={invalid || undefined}
      aria-describedby={describedBy}
      placeholder={look === "float" ? " " : input.placeholder}
    />
  );
  const reveal = password && value !== "" && (
    <button type="button" className="reveal-password" aria-controls={inputId} onClick={() => setRevealed(!revealed)}>
      {revealed ? "Hide" : "Show"}
    </button>
  );
  return (
    <div className={look === "float" ? "field float-field" : "field"}>
      {look === "float" ? (
        <div className="float-box">
          {control}
          <label htmlFor={inputId}>{label}</label>
          {reveal}
        </div>
      ) : (
        <>
          <label htmlFor={inputId}>{label}</label>
          {password ? (
            <div className="reveal-box">
              {control}
              {reveal}
            </div>
          ) : (
            control
          )}
        </>
      )}
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      <FieldError error={error} name={name} id={errorId} />
    </div>
  );
}
