import { PageNotFound } from "../components/Errors";

/** Any address the app has no screen for. */
export function NotFound() {
  return <PageNotFound />;
}
