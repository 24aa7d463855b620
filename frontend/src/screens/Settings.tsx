/** Settings: the account, its email address, password, two-factor authentication, passkeys, trusted devices, API tokens, sessions, security activity, the blocked and
 * muted lists, and your data (download it, deactivate or delete the account).
 * On wide screens a side list jumps to each part. */
import { EmailSection } from "../accounts/email/EmailSection";
import { AccountSection } from "../accounts/settings/AccountSection";
import { PasskeysSection } from "../accounts/settings/PasskeysSection";
import { PasswordSection } from "../accounts/settings/PasswordSection";
import { PeopleSection } from "../accounts/settings/PeopleSection";
import { SecurityActivitySection } from "../accounts/settings/SecurityActivitySection";
import { SessionsSection } from "../accounts/settings/SessionsSection";
import { TokensSection } from "../accounts/settings/TokensSection";
import { TrustedDevicesSection } from "../accounts/settings/TrustedDevicesSection";
import { TwoFactorSection } from "../accounts/settings/TwoFactorSection";
import { YourDataSection } from "../accounts/settings/YourDataSection";
import { Link } from "react-router-dom";
import { useMe } from "../auth/auth";
import { BackBar } from "../components/BackBar";
import "../accounts/accounts.css";

const PARTS = [
  ["account", "Account"],
  ["email", "Email address"],
  ["password", "Change password"],
  ["two-factor", "Two-factor authentication"],
  ["passkeys", "Passkeys"],
  ["trusted-devices", "Trusted devices"],
  ["tokens", "API tokens"],
  ["sessions", "Sessions"],
  ["security", "Security activity"],
  ["blocked", "Blocked accounts"],
  ["muted", "Muted accounts"],
  ["your-data", "Your data"],
] as const;

export function Settings() {
  const username = useMe().me?.profile.username;
  return (
    <div className="settings wide">
      <BackBar title="Settings" fallback={username ? `/${username}` : "/"} />
      <h1>Settings</h1>
      <div className="settings-layout">
        <nav className="settings-nav" aria-label="Settings sections">
          <ul>
            {PARTS.map(([id, title]) => (
              <li key={id}>
                <a href={`#${id}`}>{title}</a>
              </li>
            ))}
            <li>
              <Link to="/accounts/status">Account status</Link>
            </li>
          </ul>
        </nav>
        <div className="settings-sections">
          <AccountSection />
          <EmailSection />
          <PasswordSection />
          <TwoFactorSection />
          <PasskeysSection />
          <TrustedDevicesSection />
          <TokensSection />
          <SessionsSection />
          <SecurityActivitySection />
          <PeopleSection kind="blocked" />
          <PeopleSection kind="muted" />
          <YourDataSection />
        </div>
      </div>
    </div>
  );
}
