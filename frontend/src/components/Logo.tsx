/** The brand: a viewfinder mark (a camera's framing corners round a lens) and the "Viewfinder" wordmark.
 * The mark scales with the font size; the word gives the logo its accessible name, so a link around it reads
 * "Viewfinder". */
export function Logo() {
  return (
    <span className="brand">
      <svg
        className="brand-mark"
        width="1.3em"
        height="1.3em"
        viewBox="0 0 24 24"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
        aria-hidden="true"
        focusable="false"
      >
        <path d="M3 8V6a3 3 0 0 1 3-3h2M16 3h2a3 3 0 0 1 3 3v2M21 16v2a3 3 0 0 1-3 3h-2M8 21H6a3 3 0 0 1-3-3v-2" />
        <path
          className="brand-aperture"
          d="M16.5 12a4.5 4.5 0 1 1-9 0 4.5 4.5 0 0 1 9 0zM12.5 12a.5.5 0 1 1-1 0 .5.5 0 0 1 1 0z"
        />
      </svg>
      <span className="brand-word">Viewfinder</span>
    </span>
  );
}
