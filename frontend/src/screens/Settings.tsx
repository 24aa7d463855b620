/** Settings: the account, password, API tokens, sessions, and the blocked and muted lists.
 * On wide screens a side list jumps to each part. */
import { AccountSection } from "../accounts/settings/AccountSection";
import { PasswordSection } from "../accounts/settings/PasswordSection";
import { PeopleSection } from "../accounts/settings/PeopleSection";
import { SessionsSection } from "../accounts/settings/SessionsSection";
import { TokensSection } from "../accounts/settings/TokensSection";
import "../accounts/accounts.css";

const PARTS = [
  ["account", "Account"],
  ["password", "Change password"],
  ["tokens", "API tokens"],
  ["sessions", "Sessions"],
  ["blocked", "Blocked accounts"],
  ["muted", "Muted accounts"],
] as const;

export function Settings() {
  return (
    <div className="settings wide">
      <h1>Settings</h1>
      <div className="settings-layout">
        <nav className="settings-nav" aria-label="Settings sections">
          <ul>
            {PARTS.map(([id, title]) => (
              <li key={id}>
                <a href={`#${id}`}>{title}</a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="settings-sections">
          <AccountSection />
          <PasswordSection />
          <TokensSection />
          <SessionsSection />
          <PeopleSection kind="blocked" />
          <PeopleSection kind="muted" />
        </div>
      </div>
    </div>
  );
}
