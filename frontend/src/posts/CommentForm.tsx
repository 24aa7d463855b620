/** "Add a comment…": posts a comment or, after "Reply", a reply (prefilled "@user "). The comment shows
 * at once; if the API refuses it, the text comes back and the reason shows beside the input. */
import { type FormEvent, type RefObject, useEffect, useId, useState } from "react";
import { ApiError } from "../api/client";
import { ErrorBanner } from "../components/Errors";
import { type ReplyTarget, useAddComment } from "./commentMutations";

type CommentFormProps = {
  postId: string;
  /** The comment being answered (set by a "Reply" button), or null for a new top-level comment. */
  replyTo?: ReplyTarget | null;
  onReplyDone?: (target: ReplyTarget | null) => void;
  inputRef?: RefObject<HTMLInputElement | null>;
};

export function CommentForm({ postId, replyTo = null, onReplyDone, inputRef }: CommentFormProps) {
  const [text, setText] = useState("");
  const add = useAddComment(postId);
  const id = useId();
  const inputId = `${id}-input`;
  const errorId = `${id}-error`;

  useEffect(() => {
    if (!replyTo) return;
    setText(`@${replyTo.username} `);
    inputRef?.current?.focus();
  }, [replyTo, inputRef]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = text.trim();
    if (!body || add.isPending) return;
    setText("");
    add.mutate(
      { text: body, replyTo },
      {
        onSuccess: () => onReplyDone?.(replyTo),
        onError: () => setText((current) => current || body),
      },
    );
  };

  const cancelReply = () => {
    setText((current) => (current.trim() === `@${replyTo?.username}` ? "" : current));
    onReplyDone?.(null);
  };

  const error = add.error;
  const fieldMessage = error instanceof ApiError ? (error.field("text") ?? error.field("reply_to")) : undefined;
  return (
    <form className="comment-form" onSubmit={submit}>
      {replyTo && (
        <p className="replying-to">
          Replying to @{replyTo.username}
          <button type="button" className="link-button" onClick={cancelReply}>
            Cancel reply
          </button>
        </p>
      )}
      <div className="comment-form-row">
        <label htmlFor={inputId} className="visually-hidden">
          Add a comment…
        </label>
        <input
          ref={inputRef}
          id={inputId}
          className="comment-input"
          placeholder="Add a comment…"
          autoComplete="off"
          maxLength={2200}
          value={text}
          onChange={(event) => setText(event.target.value)}
          aria-invalid={fieldMessage ? true : undefined}
          aria-describedby={fieldMessage ? errorId : undefined}
        />
        <button type="submit" className="comment-submit" disabled={!text.trim() || add.isPending}>
          Post
        </button>
      </div>
      {fieldMessage ? (
        <p className="field-error" id={errorId} role="alert">
          {fieldMessage}
        </p>
      ) : (
        <ErrorBanner error={error} />
      )}
    </form>
  );
}
