/** The token of a link sent by email. The link's address ends in `#token=…`: the fragment never
 * reaches a server (no access log, no Referer), and once read it is taken out of the address bar and
 * the history, so it is not left behind on the device. */
import { useEffect, useState } from "react";
import { useLocation, useNavigate } from "react-router-dom";

export function tokenOf(hash: string): string {
  return new URLSearchParams(hash.replace(/^#/, "")).get("token") ?? "";
}

/** The link's token ("" when the page was opened without one). */
export function useLinkToken(): string {
  const location = useLocation();
  const navigate = useNavigate();
  const [token] = useState(() => tokenOf(location.hash));
  const { hash, pathname, search } = location;
  useEffect(() => {
    if (hash) navigate({ pathname, search }, { replace: true });
  }, [hash, pathname, search, navigate]);
  return token;
}
