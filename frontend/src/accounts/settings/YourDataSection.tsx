/** Your data: download a copy of it (a ZIP built in the background, kept a few days), deactivate the
 * account (hidden until the next log-in), or delete it (after a grace period, or now). Every one of
 * these is a sensitive action: the password is asked for when the session last proved it too long
 * ago (the dialog of ConfirmPassword.tsx), then the action goes ahead. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { api, type Schemas, unwrap } from "../../api/client";
import { useSetMe } from "../../auth/auth";
import { Dialog } from "../../components/Dialog";
import { ErrorBanner } from "../../components/Errors";
import { Spinner } from "../../components/Spinner";
import { rememberAccountNotice } from "../accountNotice";
import { formatDay, timeAgo } from "../format";
import { ConfirmPasswordDialog, useReauthentication } from "./ConfirmPassword";
import { Section } from "./Section";
import "./yourData.css";
import { SECURITY_EVENTS_KEY } from "./SecurityActivitySection";

type Export = Schemas["DataExportOut"];
type YourData = Schemas["DataExportList"];

export const YOUR_DATA_KEY = ["data-exports"] as const;
/** A download is sent without asking for the password only while sudo mode has this long left. */
const SUDO_MARGIN_MS = 30_000;

/** Starting a download (the browser follows the link and saves the attachment), and how often the
 * list is looked at again while an export is being prepared: a seam for tests. */
export const downloads = {
  start(path: string): void {
    window.location.assign(path);
  },
  pollMs: 3000,
};

function formatSize(bytes: number | null): string {
  if (bytes === null) return "";
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KB", "MB", "GB"];
  let size = bytes / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size < 10 ? size.toFixed(1) : Math.round(size)} ${units[unit]}`;
}

function inDays(days: number, from: Date = new Date()): string {
  return new Date(from.getTime() + days * 24 * 3600 * 1000).toISOString();
}

function ExportRow({ item, onDownload }: { item: Export; onDownload: () => void }) {
  const working = item.state === "requested" || item.state === "building";
  return (
    <li className="settings-row">
      <div className="settings-row-main">
        <p className="settings-row-title">
          Requested <time dateTime={item.created_at}>{timeAgo(item.created_at)}</time>
        </p>
        <p className="settings-row-meta">
          {working && "Being prepared… we'll let you know when it's ready."}
          {item.state === "failed" && "Something went wrong preparing it. Request a new one."}
          {item.state === "ready" && item.expires_at && (
            <>
              {formatSize(item.size_bytes)} · Available until <time dateTime={item.expires_at}>{formatDay(item.expires_at)}</time>
            </>
          )}
        </p>
      </div>
      {item.state === "ready" && item.download_path && (
        <button type="button" className="button" onClick={onDownload} aria-label={`Download your data requested ${formatDay(item.created_at)}`}>
          Download
        </button>
      )}
      {working && <Spinner label="Preparing your data" />}
    </li>
  );
}

type Closing = null | "deactivate" | "delete" | "delete-now";

function DeactivateDialog({ onConfirm, onClose, pending, error }: { onConfirm: () => void; onClose: () => void; pending: boolean; error: unknown }) {
  return (
    <Dialog title="Deactivate your account?" onClose={onClose}>
      <p className="confirm-text">
        Your profile, posts, comments and likes will be hidden from everyone, and you'll be logged out everywhere. Nothing is
        deleted: log in again whenever you want it all back.
      </p>
      <ErrorBanner error={error} />
      <div className="confirm-actions">
        <button type="button" className="button button-danger" disabled={pending} onClick={onConfirm}>
          Deactivate account
        </button>
        <button type="button" className="button button-secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

type DeleteDialogProps = {
  graceDays: number;
  now: boolean;
  onNow: () => void;
  onConfirm: () => void;
  onClose: () => void;
  pending: boolean;
  error: unknown;
};

function DeleteDialog({ graceDays, now, onNow, onConfirm, onClose, pending, error }: DeleteDialogProps) {
  const [understood, setUnderstood] = useState(false);
  if (now) {
    return (
      <Dialog title="Delete your account now?" onClose={onClose}>
        <p className="confirm-text">
          Everything goes at once and for good: your profile, posts, photos and videos, comments, likes, followers, saved posts
          and messages. This can't be undone, and there is no grace period to change your mind.
        </p>
        <label className="checkbox-field">
          <input type="checkbox" checked={understood} onChange={(event) => setUnderstood(event.target.checked)} />I understand
          that my account and everything in it will be deleted now, for good.
        </label>
        <ErrorBanner error={error} />
        <div className="confirm-actions">
          <button type="button" className="button button-danger" disabled={pending || !understood} onClick={onConfirm}>
            Delete now
          </button>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </Dialog>
    );
  }
  const on = formatDay(inDays(graceDays));
  return (
    <Dialog title="Delete your account?" onClose={onClose}>
      <p className="confirm-text">
        Your account will be hidden at once and deleted for good on {on}, with your posts, photos and videos, comments, likes,
        followers and saved posts. Until then you can cancel by logging in.
      </p>
      <p className="hint">Want a copy first? Download your data before you delete your account.</p>
      <ErrorBanner error={error} />
      <div className="confirm-actions">
        <button type="button" className="button button-danger" disabled={pending} onClick={onConfirm}>
          Delete on {on}
        </button>
        <button type="button" className="button button-secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
      <button type="button" className="link-button delete-now" onClick={onNow}>
        Delete now instead…
      </button>
    </Dialog>
  );
}

export function YourDataSection() {
  const client = useQueryClient();
  const setMe = useSetMe();
  const navigate = useNavigate();
  const [confirmingDownload, setConfirmingDownload] = useState<Export | null>(null);
  const [closing, setClosing] = useState<Closing>(null);
  const reauthentication = useReauthentication("change your account");
  const data = useQuery({
    queryKey: YOUR_DATA_KEY,
    queryFn: (): Promise<YourData> => unwrap(api.GET("/api/viewfinder/v1/accounts/data-exports")),
    // While an export is being prepared, look again every few seconds.
    refetchInterval: (query) =>
      query.state.data?.items.some((item) => item.state === "requested" || item.state === "building")
        ? downloads.pollMs
        : false,
  });
  const request = useMutation({
    mutationFn: () => unwrap(api.POST("/api/viewfinder/v1/accounts/data-exports")),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: YOUR_DATA_KEY });
      void client.invalidateQueries({ queryKey: SECURITY_EVENTS_KEY });
    },
    onError: (error) => {
      reauthentication.ask(error, () => request.mutate());
    },
  });
  const loggedOut = () => {
    setMe(null);
    navigate("/login", { replace: true });
  };
  const deactivate = useMutation({
    mutationFn: () => unwrap(api.POST("/api/viewfinder/v1/accounts/me/deactivate")),
    onSuccess: () => {
      rememberAccountNotice({ kind: "deactivated" });
      loggedOut();
    },
    onError: (error) => {
      if (reauthentication.ask(error, () => deactivate.mutate())) setClosing(null);
    },
  });
  const remove = useMutation({
    mutationFn: (now: boolean) => unwrap(api.POST("/api/viewfinder/v1/accounts/me/delete", { body: { now } })),
    onSuccess: (result, now) => {
      rememberAccountNotice(now ? { kind: "deleted" } : { kind: "deletion_scheduled", deleteAfter: result.delete_after });
      loggedOut();
    },
    onError: (error, now) => {
      if (reauthentication.ask(error, () => remove.mutate(now))) setClosing(null);
    },
  });

  const download = (item: Export) => {
    const until = data.data?.reauthenticated_until;
    if (item.download_path && until && new Date(until).getTime() - Date.now() > SUDO_MARGIN_MS) {
      downloads.start(item.download_path);
    } else {
      setConfirmingDownload(item);
    }
  };
  const working = data.data?.items.some((item) => item.state === "requested" || item.state === "building") ?? false;
  const requestError = reauthentication.asking ? null : request.error;

  return (
    <Section id="your-data" title="Your data">
      {reauthentication.dialog}
      {confirmingDownload?.download_path && (
        <ConfirmPasswordDialog
          purpose="download your data"
          onConfirmed={() => {
            const path = confirmingDownload.download_path;
            setConfirmingDownload(null);
            if (path) downloads.start(path);
            void client.invalidateQueries({ queryKey: YOUR_DATA_KEY });
          }}
          onClose={() => setConfirmingDownload(null)}
        />
      )}
      <h3 className="settings-subheading">Download your information</h3>
      <p className="hint">
        A copy of everything in your account — profile, posts with their photos and videos in full quality, comments, likes,
        followers, saved posts and security activity — as a ZIP file. We'll prepare it and let you know when it's ready; it
        stays available for 4 days. You can ask once a day.
      </p>
      <ErrorBanner error={requestError} />
      <button type="button" className="button" onClick={() => request.mutate()} disabled={request.isPending || working}>
        Request a download
      </button>
      {data.isPending ? (
        <Spinner label="Loading your downloads" />
      ) : data.isError ? (
        <ErrorBanner error={data.error} onRetry={() => void data.refetch()} />
      ) : (
        data.data.items.length > 0 && (
          <ul className="settings-list" aria-label="Your downloads">
            {data.data.items.map((item) => (
              <ExportRow key={item.id} item={item} onDownload={() => download(item)} />
            ))}
          </ul>
        )
      )}

      <h3 className="settings-subheading">Deactivate your account</h3>
      <p className="hint">Hide your profile, posts, comments and likes until you log in again. Nothing is deleted.</p>
      <button type="button" className="button button-secondary" onClick={() => setClosing("deactivate")}>
        Deactivate account
      </button>

      <h3 className="settings-subheading">Delete your account</h3>
      <p className="hint">
        Your account and everything in it are deleted for good after {data.data?.deletion_grace_days ?? 30} days; logging in
        before then cancels the deletion.
      </p>
      <button type="button" className="button button-danger" onClick={() => setClosing("delete")}>
        Delete account
      </button>

      {closing === "deactivate" && (
        <DeactivateDialog
          onConfirm={() => deactivate.mutate()}
          onClose={() => setClosing(null)}
          pending={deactivate.isPending}
          error={deactivate.error}
        />
      )}
      {(closing === "delete" || closing === "delete-now") && (
        <DeleteDialog
          graceDays={data.data?.deletion_grace_days ?? 30}
          now={closing === "delete-now"}
          onNow={() => setClosing("delete-now")}
          onConfirm={() => remove.mutate(closing === "delete-now")}
          onClose={() => setClosing(null)}
          pending={remove.isPending}
          error={remove.error}
        />
      )}
    </Section>
  );
}
