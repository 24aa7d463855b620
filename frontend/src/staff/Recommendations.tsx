/** The recommender's online read-out (/staff/recommendations, permission stats.read: analysts, admins
 * and owners). For each model version that chose posts on Explore, For you and suggested accounts
 * over the chosen days, and for popularity (posts no model chose: the baseline), what the people
 * they were shown to did with them; the version served now is marked, with its ranking model's
 * weights when it has one. Aggregates only (GET /staff/recommendations). */
import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ErrorBanner } from "../components/Errors";
import { Spinner } from "../components/Spinner";
import { fetchReadOut, type ReadOut, readOutKey } from "./api";
import { StaffScreen } from "./StaffScreen";

const DAYS = [1, 7, 30] as const;
const POPULARITY = "popularity";

const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`;

const COLUMNS: { key: keyof ReadOut["versions"][number]; label: string; show: (value: number) => string }[] = [
  { key: "impressions", label: "Impressions", show: (value) => value.toLocaleString() },
  { key: "viewers", label: "Viewers", show: (value) => value.toLocaleString() },
  { key: "click_through", label: "Click-through", show: percent },
  { key: "likes_per_impression", label: "Likes", show: percent },
  { key: "saves_per_impression", label: "Saves", show: percent },
  { key: "follows_per_impression", label: "Follows", show: percent },
  { key: "not_interested_rate", label: "Not interested", show: percent },
];

function ReadOutTable({ readOut }: { readOut: ReadOut }) {
  if (readOut.versions.length === 0) {
    return <p className="hint">Nothing was shown on Explore, For you or suggested accounts in these days.</p>;
  }
  return (
    <table className="staff-table" aria-label="Results by version">
      <thead>
        <tr>
          <th scope="col">Version</th>
          {COLUMNS.map((column) => (
            <th scope="col" key={column.key}>
              {column.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {readOut.versions.map((row) => (
          <tr key={row.version}>
            <th scope="row">
              {row.version === POPULARITY ? "Popularity (baseline)" : row.version}
              {row.version === readOut.serving && " · serving"}
            </th>
            {COLUMNS.map((column) => (
              <td key={column.key}>{column.show(Number(row[column.key]))}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RecommendationsBody() {
  const id = useId();
  const [days, setDays] = useState<number>(7);
  const query = useQuery({ queryKey: readOutKey(days), queryFn: () => fetchReadOut(days) });
  const weights = query.data?.ranker_weights;
  return (
    <>
      <div className="field staff-filter">
        <label htmlFor={`${id}-days`}>Over the last</label>
        <select id={`${id}-days`} value={days} onChange={(event) => setDays(Number(event.target.value))}>
          {DAYS.map((value) => (
            <option key={value} value={value}>
              {value === 1 ? "day" : `${value} days`}
            </option>
          ))}
        </select>
      </div>
      {query.isPending && <Spinner label="Loading the read-out" />}
      {query.isError && <ErrorBanner error={query.error} onRetry={() => query.refetch()} />}
      {query.data && (
        <>
          <p className="hint">
            {query.data.serving ? `Serving ${query.data.serving}.` : "No recommender trained yet: Explore is ranked by popularity."}{" "}
            A like, save, open or follow counts for the version that first showed the post, within a day.
          </p>
          <ReadOutTable readOut={query.data} />
          {query.data.serving && (
            <section aria-label="Ranking model">
              <h2>Ranking model</h2>
              {weights ? (
                <ul className="list-plain">
                  {Object.entries(weights).map(([feature, weight]) => (
                    <li key={feature}>
                      {feature}: {weight > 0 ? "+" : ""}
                      {weight.toFixed(2)}
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="hint">Too few impressions to learn from yet: the hand-set blend orders Explore.</p>
              )}
            </section>
          )}
        </>
      )}
    </>
  );
}

export function Recommendations() {
  return (
    <StaffScreen permission="stats.read" title="Recommendations">
      <RecommendationsBody />
    </StaffScreen>
  );
}
