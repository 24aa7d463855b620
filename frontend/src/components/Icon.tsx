/** The app's line icons: hand-drawn strokes on a 24×24 grid in currentColor. They are decorative (aria-hidden):
 * the button or link around one carries the accessible name. */
const PATHS = {
  home: "M3 10 12 3l9 7v10a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z",
  search: "M18 11a7 7 0 1 1-14 0 7 7 0 0 1 14 0zM16 16l4.5 4.5",
  explore: "M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0zM15.5 8.5l-2.1 4.9-4.9 2.1 2.1-4.9z",
  create: "M7 3h10a4 4 0 0 1 4 4v10a4 4 0 0 1-4 4H7a4 4 0 0 1-4-4V7a4 4 0 0 1 4-4zM12 8v8M8 12h8",
  heart:
    "M12 20.5s-7.5-4.6-9.3-9.2C1.5 8.2 3.4 4.5 7 4.5c2.1 0 3.6 1.1 5 3 1.4-1.9 2.9-3 5-3 3.6 0 5.5 3.7 4.3 6.8-1.8 4.6-9.3 9.2-9.3 9.2z",
  comment: "M20.7 16.5A9 9 0 1 0 17 20.3l4.5 1.2z",
  share: "M22 3 9.2 10.1M22 3l-7 18-5.8-10.9L2 6.5z",
  bookmark: "M6 3h12v18l-6-5.5L6 21z",
  more: "M6 12a1 1 0 1 1-2 0 1 1 0 0 1 2 0zM13 12a1 1 0 1 1-2 0 1 1 0 0 1 2 0zM20 12a1 1 0 1 1-2 0 1 1 0 0 1 2 0z",
  close: "M6 6l12 12M18 6 6 18",
  settings:
    "M15 12a3 3 0 1 1-6 0 3 3 0 0 1 6 0zM10.3 2h3.4l.5 2.6 1.5.8 2.5-.9 1.7 2.9-2 1.8v1.6l2 1.8-1.7 2.9-2.5-.9-1.5.8-.5 2.6h-3.4l-.5-2.6-1.5-.8-2.5.9-1.7-2.9 2-1.8v-1.6l-2-1.8 1.7-2.9 2.5.9 1.5-.8z",
  bell: "M6 10a6 6 0 0 1 12 0v4.5l2 3.5H4l2-3.5zM10 21h4",
  menu: "M4 6h16M4 12h16M4 18h16",
  back: "M20 12H4M11 5l-7 7 7 7",
  shield: "M12 2.5 4 5.5v6c0 4.8 3.4 8.8 8 10 4.6-1.2 8-5.2 8-10v-6z",
  login: "M14 3h5a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-5M10 17l5-5-5-5M15 12H3",
  signup: "M12.5 7.5a3.5 3.5 0 1 1-7 0 3.5 3.5 0 0 1 7 0zM2.5 20v-1a4.5 4.5 0 0 1 4.5-4.5h4a4.5 4.5 0 0 1 4.5 4.5v1M19 8v6M16 11h6",
  chevronLeft: "M15 5l-7 7 7 7",
  chevronRight: "M9 5l7 7-7 7",
  chevronUp: "M5 15l7-7 7 7",
  chevronDown: "M5 9l7 7 7-7",
  play: "M7 4.5v15l12-7.5z",
  carousel: "M8 3h11a2 2 0 0 1 2 2v11M5 7h10a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2z",
  check: "M4.5 12.5l5 5 10-11",
  flag: "M5 21V4h11l-2 4 2 4H5",
  camera:
    "M4 7h3l2-3h6l2 3h3a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1zM16 13a4 4 0 1 1-8 0 4 4 0 0 1 8 0z",
} as const;

export type IconName = keyof typeof PATHS;

type IconProps = {
  name: IconName;
  /** Pixels, or a CSS length such as "1em" to follow the text around it. */
  size?: number | string;
  /** Fills the shape in (a liked heart, a saved bookmark, a play triangle). */
  filled?: boolean;
  strokeWidth?: number;
};

export function Icon({ name, size = 24, filled = false, strokeWidth = 2 }: IconProps) {
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill={filled ? "currentColor" : "none"}
      stroke="currentColor"
      strokeWidth={strokeWidth}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
