/** A modal dialog on the native <dialog> element (focus stays inside; Escape closes), and the
 * confirmation dialog built on it for destructive choices. */
import { type ReactNode, useEffect, useRef } from "react";
import { ErrorBanner } from "./Errors";
import { Icon } from "./Icon";

type DialogProps = { title: string; onClose: () => void; children: ReactNode };

export function Dialog({ title, onClose, children }: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) {
      if (typeof element.showModal === "function") element.showModal();
      else element.setAttribute("open", "");
    }
  }, []);
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-label={title}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <header className="dialog-header">
        <h2>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}

type ConfirmDialogProps = {
  title: string;
  /** What confirming will do. */
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  /** While true the confirm button is disabled. */
  pending?: boolean;
  /** Why the last try failed, shown above the buttons. */
  error?: unknown;
};

/** "Are you sure?": the explanation, then a danger button that confirms and "Cancel". */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onClose, pending = false, error }: ConfirmDialogProps) {
  return (
    <Dialog title={title} onClose={onClose}>
      <p className="confirm-text">{children}</p>
      <ErrorBanner error={error} />
      <div className="confirm-actions">
        <button type="button" className="button button-danger" disabled={pending} onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" className="button button-secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
