/** Instagram-style times: "now", "5m", "3h", "2d", "4w" (and their long spoken forms), and the
 * sections an activity list is split into ("Today", "This week", ...). */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

type Unit = { size: number; short: string; long: string };

const UNITS: Unit[] = [
  { size: WEEK, short: "w", long: "week" },
  { size: DAY, short: "d", long: "day" },
  { size: HOUR, short: "h", long: "hour" },
  { size: MINUTE, short: "m", long: "minute" },
];

/** The age of `iso` at `now`: short ("3h") for the eye, long ("3 hours ago") for screen readers. */
export function relativeTime(iso: string, now: number = Date.now()): { short: string; long: string } {
  const age = Math.max(0, now - new Date(iso).getTime());
  for (const unit of UNITS) {
    if (age >= unit.size) {
      const count = Math.floor(age / unit.size);
      return { short: `${count}${unit.short}`, long: `${count} ${unit.long}${count === 1 ? "" : "s"} ago` };
    }
  }
  return { short: "now", long: "just now" };
}

export type Section = "Today" | "This week" | "This month" | "Earlier";

/** Which part of an activity list a moment falls in. */
export function sectionOf(iso: string, now: number = Date.now()): Section {
  const age = now - new Date(iso).getTime();
  if (age < DAY) return "Today";
  if (age < WEEK) return "This week";
  if (age < 30 * DAY) return "This month";
  return "Earlier";
}
