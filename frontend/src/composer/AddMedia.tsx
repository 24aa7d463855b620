/** The one file input of the composer, "Add photos and videos": a big button in the empty drop
 * zone, or a "+" tile at the end of the item strip once there are items. */
export function AddMedia({ variant, onFiles }: { variant: "button" | "tile"; onFiles: (files: File[]) => void }) {
  return (
    <label className={variant === "button" ? "button composer-add-button" : "composer-add-tile"}>
      <input
        type="file"
        multiple
        accept="image/*,video/*"
        className="composer-cover-input"
        onChange={(event) => {
          onFiles(Array.from(event.currentTarget.files ?? []));
          event.currentTarget.value = "";
        }}
      />
      {variant === "button" ? (
        "Add photos and videos"
      ) : (
        <>
          <span aria-hidden="true" className="composer-add-plus">
            +
          </span>
          <span className="visually-hidden">Add photos and videos</span>
        </>
      )}
    </label>
  );
}
