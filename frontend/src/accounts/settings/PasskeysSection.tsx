/** Passkeys in Settings: add one (this browser, a phone or a security key makes it), rename one, remove one.
 * A passkey logs in without the password and counts as the second step after it; the first one added
 * turns two-factor authentication on and comes with recovery codes, shown once. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type Schemas, unwrap } from "../../api/client";
import { useMe } from "../../auth/auth";
import { ErrorBanner } from "../../components/Errors";
import { Spinner } from "../../components/Spinner";
import { bannerError } from "../forms";
import { formatDay, timeAgo } from "../format";
import { TextField } from "../TextField";
import { PASSKEYS_KEY, TRUSTED_DEVICES_KEY, TWO_FACTOR_KEY } from "../twoFactor";
import { createPasskey, passkeysSupported } from "../webauthn";
import { useReauthentication } from "./ConfirmPassword";
import { RecoveryCodes } from "./RecoveryCodes";
import { SECURITY_EVENTS_KEY } from "./SecurityActivitySection";
import { Section } from "./Section";
import "../twoFactor.css";

type Passkey = Schemas["PasskeyOut"];

type RowProps = {
  passkey: Passkey;
  onRemove: () => void;
  removing: boolean;
};

function PasskeyRow({ passkey, onRemove, removing }: RowProps) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(passkey.name);
  const rename = useMutation({
    mutationFn: (newName: string) =>
      unwrap(
        api.PATCH("/api/viewfinder/v1/accounts/passkeys/{passkey_id}", {
          params: { path: { passkey_id: passkey.id } },
          body: { name: newName },
        }),
      ),
    onSuccess: (renamed) => {
      client.setQueryData<Passkey[]>(PASSKEYS_KEY, (old) => old?.map((p) => (p.id === renamed.id ? renamed : p)));
      setEditing(false);
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    rename.mutate(name.trim());
  };

  if (editing) {
    return (
      <li className="settings-row">
        <form className="passkey-rename" onSubmit={onSubmit} noValidate>
          <TextField
            name="name"
            label={`New name for ${passkey.name}`}
            maxLength={100}
            autoFocus
            value={name}
            onChange={setName}
            error={rename.error}
          />
          <button type="submit" className="button" disabled={rename.isPending}>
            Save
          </button>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => {
              setEditing(false);
              setName(passkey.name);
              rename.reset();
            }}
          >
            Cancel
          </button>
        </form>
      </li>
    );
  }
  return (
    <li className="settings-row">
      <div className="settings-row-main">
        <p className="settings-row-title">{passkey.name}</p>
        <p className="settings-row-meta">
          Added <time dateTime={passkey.created_at}>{formatDay(passkey.created_at)}</time> ·{" "}
          {passkey.last_used_at ? (
            <>
              Last used <time dateTime={passkey.last_used_at}>{timeAgo(passkey.last_used_at)}</time>
            </>
          ) : (
            "Never used"
          )}
          {passkey.backed_up && " · Synced"}
        </p>
      </div>
      <button
        type="button"
        className="button button-secondary"
        aria-label={`Rename passkey ${passkey.name}`}
        onClick={() => setEditing(true)}
      >
        Rename
      </button>
      <button
        type="button"
        className="button button-secondary"
        aria-label={`Remove passkey ${passkey.name}`}
        onClick={onRemove}
        disabled={removing}
      >
        Remove
      </button>
    </li>
  );
}

export function PasskeysSection() {
  const client = useQueryClient();
  const { me } = useMe();
  const [name, setName] = useState("");
  const [codes, setCodes] = useState<string[] | null>(null);
  const supported = passkeysSupported();
  const passkeys = useQuery({
    queryKey: PASSKEYS_KEY,
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/accounts/passkeys")),
  });
  const reauthentication = useReauthentication("change your passkeys");
  const refresh = () => {
    for (const queryKey of [PASSKEYS_KEY, TWO_FACTOR_KEY, SECURITY_EVENTS_KEY, TRUSTED_DEVICES_KEY]) {
      void client.invalidateQueries({ queryKey });
    }
  };
  const add = useMutation({
    mutationFn: async (passkeyName: string) => {
      const begun = await unwrap(api.POST("/api/viewfinder/v1/accounts/passkeys/registration/options"));
      const credential = await createPasskey(begun.options);
      return unwrap(
        api.POST("/api/viewfinder/v1/accounts/passkeys", {
          body: { ceremony: begun.ceremony, credential, name: passkeyName },
        }),
      );
    },
    onSuccess: (added) => {
      setName("");
      if (added.recovery_codes) setCodes(added.recovery_codes);
      refresh();
    },
    onError: (error, passkeyName) => reauthentication.ask(error, () => add.mutate(passkeyName)),
  });
  const remove = useMutation({
    mutationFn: (passkey: Passkey) =>
      unwrap(
        api.DELETE("/api/viewfinder/v1/accounts/passkeys/{passkey_id}", { params: { path: { passkey_id: passkey.id } } }),
      ),
    onSuccess: (_, passkey) => {
      client.setQueryData<Passkey[]>(PASSKEYS_KEY, (old) => old?.filter((other) => other.id !== passkey.id));
      refresh();
    },
    onError: (error, passkey) => reauthentication.ask(error, () => remove.mutate(passkey)),
  });
  const addError = reauthentication.asking ? null : add.error;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate(name.trim());
  };

  return (
    <Section
      id="passkeys"
      title="Passkeys"
      hint="Log in with your fingerprint, face, screen lock or a security key instead of a password. A passkey also works as the second step after your password."
    >
      {reauthentication.dialog}
      {codes && <RecoveryCodes codes={codes} username={me?.profile.username ?? "you"} onDone={() => setCodes(null)} />}
      {supported ? (
        <form onSubmit={onSubmit} noValidate>
          <ErrorBanner error={bannerError(addError, ["name"])} />
          <div className="settings-inline-form">
            <TextField
              name="name"
              label="Passkey name"
              placeholder="e.g. Work laptop"
              maxLength={100}
              value={name}
              onChange={setName}
              error={addError}
            />
            <button type="submit" className="button" disabled={add.isPending}>
              Add a passkey
            </button>
          </div>
        </form>
      ) : (
        <p className="hint">This browser can't make passkeys. Add one from a browser that can.</p>
      )}
      <ErrorBanner error={reauthentication.asking ? null : remove.error} />
      {passkeys.isPending ? (
        <Spinner label="Loading passkeys" />
      ) : passkeys.isError ? (
        <ErrorBanner error={passkeys.error} onRetry={() => void passkeys.refetch()} />
      ) : passkeys.data.length === 0 ? (
        <p className="settings-empty">You have no passkeys.</p>
      ) : (
        <ul className="settings-list" aria-label="Your passkeys">
          {passkeys.data.map((passkey) => (
            <PasskeyRow
              key={passkey.id}
              passkey={passkey}
              onRemove={() => remove.mutate(passkey)}
              removing={remove.isPending && remove.variables?.id === passkey.id}
            />
          ))}
        </ul>
      )}
    </Section>
  );
}
