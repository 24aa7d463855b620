/** Who is signed in, a way to edit the profile, and logging out of this browser. */
import { useMutation } from "@tanstack/react-query";
import { Link, useNavigate } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import { useMe, useSetMe } from "../../auth/auth";
import { Avatar } from "../../components/Avatar";
import { ErrorBanner } from "../../components/Errors";
import { Section } from "./Section";

export function AccountSection() {
  const { me } = useMe();
  const setMe = useSetMe();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: () => unwrap(api.POST("/api/viewfinder/v1/accounts/logout")),
    onSuccess: () => {
      setMe(null);
      navigate("/login", { replace: true });
    },
  });
  return (
    <Section id="account" title="Account">
      {me && (
        <div className="account-summary">
          <Avatar user={me.profile} size={56} />
          <div>
            <p className="username">{me.profile.username}</p>
            {me.profile.display_name && <p>{me.profile.display_name}</p>}
            <p className="hint">{me.email}</p>
          </div>
        </div>
      )}
      <ErrorBanner error={logout.error} />
      <div className="account-actions">
        <Link to="/accounts/edit" className="button button-secondary">
          Edit profile
        </Link>
        <button type="button" className="button button-secondary" onClick={() => logout.mutate()} disabled={logout.isPending}>
          Log out
        </button>
      </div>
    </Section>
  );
}
