/** Who is signed in: the `me` query, shared by every screen, and the guards of signed-in routes. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";
import { ApiError, api, type Me, unwrap } from "../api/client";
import { Spinner } from "../components/Spinner";

export const ME_KEY = ["me"] as const;

async function fetchMe(): Promise<Me | null> {
  try {
    return await unwrap(api.GET("/api/viewfinder/v1/accounts/me"));
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 401) return null;
    throw exc;
  }
}

/** The signed-in account (null when signed out; undefined while loading). */
export function useMe(): { me: Me | null | undefined; loading: boolean } {
  const query = useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 60_000 });
  return { me: query.data, loading: query.isPending };
}

/** Sets the signed-in account after sign-up, log-in or log-out; what was cached for the previous
 * viewer (feeds, profiles with their relationship to them) is dropped. */
export function useSetMe(): (me: Me | null) => void {
  const client = useQueryClient();
  return (me) => {
    client.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
    client.setQueryData(ME_KEY, me);
  };
}

/** Renders its children for a signed-in person; sends anyone else to log in, then back here. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { me, loading } = useMe();
  const location = useLocation();
  if (loading) return <Spinner label="Loading" />;
  if (!me) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <>{children}</>;
}
