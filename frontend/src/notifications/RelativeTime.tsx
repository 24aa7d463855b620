import { relativeTime } from "./time";

/** "3h" on screen, "3 hours ago" to screen readers, the full date on hover. */
export function RelativeTime({ iso, className }: { iso: string; className?: string }) {
  const { short, long } = relativeTime(iso);
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()} className={className}>
      <span aria-hidden="true">{short}</span>
      <span className="visually-hidden">{long}</span>
    </time>
  );
}
