/** "Report": a reason (radio group), optional details, then a thank-you. Used for posts, users and comments. */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ApiError, api, unwrap } from "../api/client";
import "../posts/report.css";
import { Dialog } from "./Dialog";
import { ErrorBanner, FieldError, fieldErrorId } from "./Errors";

export const REPORT_REASONS = [
  { value: "spam", label: "It's spam" },
  { value: "nudity", label: "Nudity or sexual activity" },
  { value: "harassment", label: "Bullying or harassment" },
  { value: "violence", label: "Violence or dangerous acts" },
  { value: "hate", label: "Hate speech or symbols" },
  { value: "false_information", label: "False information" },
  { value: "other", label: "Something else" },
] as const;

export type ReportReason = (typeof REPORT_REASONS)[number]["value"];
export type ReportTarget = "post" | "user" | "comment";
type ReportBody = { target: ReportTarget; target_id: string; reason: ReportReason; details: string };

function sendReport(body: ReportBody) {
  return unwrap(api.POST("/api/viewfinder/v1/reports", { body }));
}

type ReportDialogProps = {
  target: ReportTarget;
  targetId: string;
  /** What is reported, for people: "@alice's post", "@alice", "this comment". */
  label: string;
  onClose: () => void;
};

export function ReportDialog({ target, targetId, label, onClose }: ReportDialogProps) {
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [details, setDetails] = useState("");
  const ids = useId();
  const report = useMutation({ mutationFn: sendReport });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (reason) report.mutate({ target, target_id: targetId, reason, details: details.trim() });
  };

  if (report.isSuccess) {
    return (
      <Dialog title="Report" onClose={onClose}>
        <div className="report-thanks" role="status">
          <p className="report-thanks-title">Thanks for letting us know</p>
          <p className="hint">We'll review your report about {label}. Your report is anonymous.</p>
        </div>
        <button type="button" className="button button-block" onClick={onClose}>
          Done
        </button>
      </Dialog>
    );
  }

  const detailsId = `${ids}-details`;
  const error = report.error;
  const fieldFailed = error instanceof ApiError && Boolean(error.field("reason") || error.field("details"));
  return (
    <Dialog title="Report" onClose={onClose}>
      <form onSubmit={submit} className="report-form">
        <p className="hint">You're reporting {label}.</p>
        <fieldset className="report-reasons" aria-describedby={fieldErrorId("reason")}>
          <legend>Why are you reporting this?</legend>
          {REPORT_REASONS.map((option) => (
            <label key={option.value} className="report-reason">
              <input
                type="radio"
                name={`${ids}-reason`}
                value={option.value}
                checked={reason === option.value}
                onChange={() => setReason(option.value)}
              />
              <span>{option.label}</span>
            </label>
          ))}
        </fieldset>
        <FieldError error={error} name="reason" />
        <div className="field">
          <label htmlFor={detailsId}>Details</label>
          <textarea
            id={detailsId}
            rows={3}
            maxLength={1000}
            value={details}
            onChange={(event) => setDetails(event.target.value)}
            aria-invalid={error instanceof ApiError && Boolean(error.field("details"))}
            aria-describedby={fieldErrorId("details")}
          />
          <FieldError error={error} name="details" />
        </div>
        <ErrorBanner error={fieldFailed ? null : error} />
        <button type="submit" className="button button-block" disabled={!reason || report.isPending}>
          {report.isPending ? "Sending…" : "Submit report"}
        </button>
      </form>
    </Dialog>
  );
}
