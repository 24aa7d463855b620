/** Personal API tokens: the list (never secrets), revoking one, and creating one whose secret shows once.
 * Creating one is a sensitive action: when the session last proved the password too long ago, the
 * password is asked for in a dialog and the creation retried. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useRef, useState } from "react";
import { api, type Schemas, unwrap } from "../../api/client";
import { ErrorBanner } from "../../components/Errors";
import { Spinner } from "../../components/Spinner";
import { bannerError, useFocusFirstInvalid } from "../forms";
import { formatDay, timeAgo } from "../format";
import { TextField } from "../TextField";
import { useReauthentication } from "./ConfirmPassword";
import { SECURITY_EVENTS_KEY } from "./SecurityActivitySection";
import { NewTokenNotice } from "./NewTokenNotice";
import { Section } from "./Section";

type Token = Schemas["TokenOut"];
type NewToken = Schemas["NewTokenOut"];

export const TOKENS_KEY = ["tokens"] as const;

function TokenRow({ token, onRevoke, revoking }: { token: Token; onRevoke: () => void; revoking: boolean }) {
  return (
    <li className="settings-row">
      <div className="settings-row-main">
        <p className="settings-row-title">{token.name}</p>
        <p className="settings-row-meta">
          <span className="token-prefix">{token.prefix}…</span> · Created{" "}
          <time dateTime={token.created_at}>{formatDay(token.created_at)}</time> ·{" "}
          {token.last_used_at ? (
            <>
              Last used <time dateTime={token.last_used_at}>{timeAgo(token.last_used_at)}</time>
            </>
          ) : (
            "Never used"
          )}
        </p>
      </div>
      <button
        type="button"
        className="button button-secondary"
        aria-label={`Revoke token ${token.name}`}
        onClick={onRevoke}
        disabled={revoking}
      >
        Revoke
      </button>
    </li>
  );
}

export function TokensSection() {
  const client = useQueryClient();
  const form = useRef<HTMLFormElement>(null);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<NewToken | null>(null);
  const tokens = useQuery({
    queryKey: TOKENS_KEY,
    queryFn: () => unwrap(api.GET("/api/viewfinder/v1/accounts/tokens")),
  });
  const reauthentication = useReauthentication("create an API token");
  const create = useMutation({
    mutationFn: (tokenName: string) => unwrap(api.POST("/api/viewfinder/v1/accounts/tokens", { body: { name: tokenName } })),
    onSuccess: (result) => {
      client.setQueryData<Token[]>(TOKENS_KEY, (old) => [result.token, ...(old ?? [])]);
      setCreated(result);
      setName("");
      void client.invalidateQueries({ queryKey: SECURITY_EVENTS_KEY });
    },
    onError: (error, tokenName) => {
      reauthentication.ask(error, () => create.mutate(tokenName));
    },
  });
  // While the dialog asks for the password, it explains the refusal itself.
  const createError = reauthentication.asking ? null : create.error;
  const revoke = useMutation({
    mutationFn: (token: Token) =>
      unwrap(api.DELETE("/api/viewfinder/v1/accounts/tokens/{token_id}", { params: { path: { token_id: token.id } } })),
    onSuccess: (_, token) => {
      client.setQueryData<Token[]>(TOKENS_KEY, (old) => old?.filter((other) => other.id !== token.id));
      if (created?.token.id === token.id) setCreated(null);
      void client.invalidateQueries({ queryKey: SECURITY_EVENTS_KEY });
    },
  });
  useFocusFirstInvalid(form, createError);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(name.trim());
  };

  return (
    <Section
      id="tokens"
      title="API tokens"
      hint="Tokens let scripts and apps use your account through the API (Authorization: Bearer <token>)."
    >
      {created && <NewTokenNotice created={created} onDone={() => setCreated(null)} />}
      {reauthentication.dialog}
      <form ref={form} onSubmit={onSubmit} noValidate>
        <ErrorBanner error={bannerError(createError, ["name"])} />
        <div className="settings-inline-form">
          <TextField
            name="name"
            label="Token name"
            placeholder="e.g. Backup script"
            maxLength={100}
            value={name}
            onChange={setName}
            error={createError}
          />
          <button type="submit" className="button" disabled={create.isPending}>
            Create token
          </button>
        </div>
      </form>
      <ErrorBanner error={revoke.error} />
      {tokens.isPending ? (
        <Spinner label="Loading tokens" />
      ) : tokens.isError ? (
        <ErrorBanner error={tokens.error} onRetry={() => void tokens.refetch()} />
      ) : tokens.data.length === 0 ? (
        <p className="settings-empty">You have no API tokens.</p>
      ) : (
        <ul className="settings-list" aria-label="Your API tokens">
          {tokens.data.map((token) => (
            <TokenRow
              key={token.id}
              token={token}
              onRevoke={() => revoke.mutate(token)}
              revoking={revoke.isPending && revoke.variables?.id === token.id}
            />
          ))}
        </ul>
      )}
    </Section>
  );
}
