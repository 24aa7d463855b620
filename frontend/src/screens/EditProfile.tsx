/** /accounts/edit: profile photo, name, bio and website (saved with "Save"), and the private-account
 * switch, which saves as soon as it is flipped, as on Instagram. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type ChangeEvent, type FormEvent, useId, useState } from "react";
import { Link } from "react-router-dom";
import { api, ApiError, type Me, unwrap } from "../api/client";
import { useMe } from "../auth/auth";
import { Avatar } from "../components/Avatar";
import { BackBar } from "../components/BackBar";
import { ErrorBanner, FieldError, fieldErrorId } from "../components/Errors";
import { Spinner } from "../components/Spinner";
import { REQUESTS_KEY, storeMe } from "../profiles/queries";
import "../profiles/profiles.css";

const MAX_NAME = 64;
const MAX_BIO = 150;

export function EditProfile() {
  const { me } = useMe();
  if (!me) return <Spinner label="Loading" />;
  return (
    <section className="edit-profile">
      <BackBar title="Edit profile" fallback={`/${me.profile.username}`} />
      <h1>Edit profile</h1>
      <PhotoSection me={me} />
      <DetailsForm me={me} />
      <PrivacySection me={me} />
    </section>
  );
}

function PhotoSection({ me }: { me: Me }) {
  const client = useQueryClient();
  const inputId = useId();
  const upload = useMutation({
    mutationFn: (file: File) =>
      unwrap(
        api.PUT("/api/viewfinder/v1/accounts/me/avatar", {
          // The schema types the binary field as a string; the serializer sends the File itself.
          body: { data: file.name },
          bodySerializer: () => {
            const form = new FormData();
            form.append("data", file);
            return form;
          },
        }),
      ),
    onSuccess: (answer) => storeMe(client, answer),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/viewfinder/v1/accounts/me/avatar")),
    onSuccess: (answer) => storeMe(client, answer),
  });
  const busy = upload.isPending || remove.isPending;

  const onFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (file) {
      remove.reset();
      upload.mutate(file);
    }
  };

  return (
    <div className="card edit-photo">
      <Avatar user={me.profile} size={64} />
      <div className="edit-photo-text">
        <p className="edit-photo-username">{me.profile.username}</p>
        <div className="edit-photo-actions">
          <label htmlFor={inputId} className={`button button-small file-button${busy ? " is-busy" : ""}`}>
            Change profile photo
          </label>
          <input
            id={inputId}
            type="file"
            accept="image/jpeg,image/png,image/webp,image/heic,image/heif,image/gif"
            className="visually-hidden file-input"
            disabled={busy}
            onChange={onFile}
          />
          {me.profile.avatar_url && (
            <button
              type="button"
              className="link-button danger-link"
              disabled={busy}
              onClick={() => {
                upload.reset();
                remove.mutate();
              }}
            >
              Remove profile photo
            </button>
          )}
        </div>
        {busy && (
          <p className="hint" role="status">
            {upload.isPending ? "Uploading…" : "Removing…"}
          </p>
        )}
        <ErrorBanner error={upload.error ?? remove.error} />
      </div>
    </div>
  );
}

function DetailsForm({ me }: { me: Me }) {
  const client = useQueryClient();
  const ids = useId();
  const [name, setName] = useState(me.profile.display_name);
  const [bio, setBio] = useState(me.profile.bio);
  const [website, setWebsite] = useState(me.profile.website);
  const save = useMutation({
    mutationFn: () =>
      unwrap(api.PATCH("/api/viewfinder/v1/accounts/me", { body: { display_name: name, bio, website } })),
    onSuccess: (answer) => {
      storeMe(client, answer);
      setName(answer.profile.display_name);
      setBio(answer.profile.bio);
      setWebsite(answer.profile.website);
    },
  });
  const error = save.error;
  const failed = (field: string) => error instanceof ApiError && Boolean(error.field(field));
  const anyFieldFailed = ["display_name", "bio", "website"].some(failed);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const edit = (setter: (value: string) => void) => (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    setter(event.target.value);
    if (save.isSuccess) save.reset();
  };

  return (
    <form className="card edit-details" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor={`${ids}-name`}>Name</label>
        <input
          id={`${ids}-name`}
          value={name}
          maxLength={MAX_NAME}
          autoComplete="name"
          onChange={edit(setName)}
          aria-invalid={failed("display_name")}
          aria-describedby={fieldErrorId("display_name")}
        />
        <FieldError error={error} name="display_name" />
      </div>
      <div className="field">
        <div className="field-label-row">
          <label htmlFor={`${ids}-bio`}>Bio</label>
          <span className="hint bio-counter" id={`${ids}-bio-count`}>
            {bio.length} / {MAX_BIO}
          </span>
        </div>
        <textarea
          id={`${ids}-bio`}
          value={bio}
          rows={3}
          maxLength={MAX_BIO}
          onChange={edit(setBio)}
          aria-invalid={failed("bio")}
          aria-describedby={`${ids}-bio-count ${fieldErrorId("bio")}`}
        />
        <FieldError error={error} name="bio" />
      </div>
      <div className="field">
        <label htmlFor={`${ids}-website`}>Website</label>
        <input
          id={`${ids}-website`}
          type="url"
          inputMode="url"
          placeholder="https://"
          value={website}
          onChange={edit(setWebsite)}
          aria-invalid={failed("website")}
          aria-describedby={fieldErrorId("website")}
        />
        <FieldError error={error} name="website" />
      </div>
      <ErrorBanner error={anyFieldFailed ? null : error} />
      {save.isSuccess && (
        <p className="notice" role="status">
          Profile saved.
        </p>
      )}
      <div className="edit-details-footer">
        <Link to={`/${me.profile.username}`} className="link-button">
          View profile
        </Link>
        <button type="submit" className="button" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}

function PrivacySection({ me }: { me: Me }) {
  const client = useQueryClient();
  const ids = useId();
  const [announcement, setAnnouncement] = useState("");
  // Where the switch is going while the change is on its way (set at once: a checkbox must not lag its click).
  const [going, setGoing] = useState<boolean | null>(null);
  const toggle = useMutation({
    mutationFn: (isPrivate: boolean) =>
      unwrap(api.PATCH("/api/viewfinder/v1/accounts/me", { body: { is_private: isPrivate } })),
    onSuccess: (answer) => {
      storeMe(client, answer);
      setAnnouncement(answer.profile.is_private ? "Your account is now private." : "Your account is now public.");
      // Going public lets every pending request in.
      void client.invalidateQueries({ queryKey: REQUESTS_KEY });
    },
    onError: () => setAnnouncement(""),
    onSettled: () => setGoing(null),
  });
  const checked = going ?? me.profile.is_private;

  return (
    <div className="card edit-privacy">
      <h2>Account privacy</h2>
      <div className="switch-row">
        <label htmlFor={`${ids}-private`}>Private account</label>
        <input
          id={`${ids}-private`}
          type="checkbox"
          role="switch"
          className="switch"
          checked={checked}
          aria-describedby={`${ids}-private-hint`}
          onChange={(event) => {
            setGoing(event.target.checked);
            toggle.mutate(event.target.checked);
          }}
        />
      </div>
      <p className="hint" id={`${ids}-private-hint`}>
        When your account is private, only people you approve can see your photos and videos and who follows you.
        Your name, bio and counts stay visible to everyone. Switching back to public approves every pending
        follow request.
      </p>
      <p className="switch-status" role="status">
        {announcement}
      </p>
      <ErrorBanner error={toggle.error} />
    </div>
  );
}
