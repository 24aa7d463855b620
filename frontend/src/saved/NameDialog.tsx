/** The dialog that names a collection (new or renamed): one field "Name", the API's field error
 * beside it and any other error above the button. */
import { type FormEvent, useState } from "react";
import { ApiError } from "../api/client";
import { Dialog } from "../components/Dialog";
import { ErrorBanner, fieldErrorId } from "../components/Errors";
import "./saved.css";

type Props = {
  title: string;
  submitLabel: string;
  initial?: string;
  pending: boolean;
  error: unknown;
  onSubmit: (name: string) => void;
  onClose: () => void;
};

/** The message for the name field: the API's, or its whole message for a taken name (whose field
 * value is only the code "taken"). */
function nameMessage(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.code === "collection_exists") return error.message;
  return error.field("name");
}

export function NameDialog({ title, submitLabel, initial = "", pending, error, onSubmit, onClose }: Props) {
  const [name, setName] = useState(initial);
  const message = nameMessage(error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(name);
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="collection-name">Name</label>
          <input
            id="collection-name"
            value={name}
            maxLength={100}
            autoComplete="off"
            autoFocus
            placeholder="Collection name"
            aria-invalid={message ? true : undefined}
            aria-describedby={message ? fieldErrorId("name") : undefined}
            onChange={(event) => setName(event.target.value)}
          />
          {message && (
            <p className="field-error" id={fieldErrorId("name")} role="alert">
              {message}
            </p>
          )}
        </div>
        {!message && <ErrorBanner error={error} />}
        <button type="submit" className="button button-block" disabled={pending}>
          {submitLabel}
        </button>
      </form>
    </Dialog>
  );
}
