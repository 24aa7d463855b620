/** Staff roles (/staff/roles): who holds which role and what it allows, and a form to give an
 * account a role (or take it away with "No role"). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { ErrorBanner } from "../components/Errors";
import { Spinner } from "../components/Spinner";
import { assignRole, fetchStaff, ROLES_KEY } from "./api";
import { ROLES } from "./permissions";
import { StaffScreen } from "./StaffScreen";

const ROLE_LABELS: Record<string, string> = {
  owner: "Owner",
  admin: "Admin",
  moderator: "Moderator",
  analyst: "Analyst",
  community_manager: "Community manager",
  none: "No role",
};

function RolesBody() {
  const client = useQueryClient();
  const id = useId();
  const query = useQuery({ queryKey: ROLES_KEY, queryFn: fetchStaff });
  const [username, setUsername] = useState("");
  const [role, setRole] = useState("moderator");
  const [reason, setReason] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const assign = useMutation({
    mutationFn: () => assignRole(username.trim().replace(/^@/, ""), role, reason.trim()),
    onSuccess: async (member) => {
      setSaved(`@${member.username} is now ${ROLE_LABELS[member.role] ?? member.role}.`);
      setUsername("");
      setReason("");
      await client.invalidateQueries({ queryKey: ROLES_KEY });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    if (username.trim()) assign.mutate();
  };
  return (
    <>
      <form onSubmit={submit} className="card staff-form" aria-label="Assign a role">
        <div className="field">
          <label htmlFor={`${id}-username`}>Username</label>
          <input id={`${id}-username`} required value={username} onChange={(event) => setUsername(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-role`}>Role</label>
          <select id={`${id}-role`} value={role} onChange={(event) => setRole(event.target.value)}>
            {ROLES.map((value) => (
              <option key={value} value={value}>
                {ROLE_LABELS[value]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason (for the audit log)</label>
          <input id={`${id}-reason`} maxLength={1000} value={reason} onChange={(event) => setReason(event.target.value)} />
        </div>
        <ErrorBanner error={assign.error} />
        {saved && (
          <p className="notice" role="status">
            {saved}
          </p>
        )}
        <button type="submit" className="button" disabled={!username.trim() || assign.isPending}>
          Assign role
        </button>
      </form>
      {query.isPending && <Spinner label="Loading staff" />}
      <ErrorBanner error={query.error} onRetry={() => query.refetch()} />
      {query.data && (
        <table className="staff-table">
          <caption className="visually-hidden">Staff</caption>
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Role</th>
              <th scope="col">Permissions</th>
            </tr>
          </thead>
          <tbody>
            {query.data.map((member) => (
              <tr key={member.id}>
                <td>@{member.username}</td>
                <td>{ROLE_LABELS[member.role] ?? member.role}</td>
                <td className="hint">{member.permissions.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function Roles() {
  return (
    <StaffScreen permission="roles.assign" title="Roles">
      <RolesBody />
    </StaffScreen>
  );
}
