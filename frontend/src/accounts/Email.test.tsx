import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes, useLocation } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Layout } from "../components/Layout";
import { ForgotPassword } from "../screens/ForgotPassword";
import { Login } from "../screens/Login";
import { ResetPassword } from "../screens/ResetPassword";
import { RevertEmail } from "../screens/RevertEmail";
import { VerifyEmail } from "../screens/VerifyEmail";
import { answerFetch, renderApp } from "../test/render";
import { EmailSection } from "./email/EmailSection";
import { ME, SIGNED_OUT } from "./fixtures";
import { describeEvent } from "./settings/SecurityActivitySection";

afterEach(() => vi.unstubAllGlobals());

const API = "/api/viewfinder/v1";
const UNVERIFIED = { ...ME, email_verified: false };
const INVALID_LINK = {
  status: 400,
  body: {
    error: {
      code: "invalid_link",
      message: "This link is not valid any more: it was used, has expired or was replaced by a newer one.",
      fields: { token: "This link is not valid any more." },
    },
  },
};

/** Where the router is, shown so a test can see the address bar. */
function Address() {
  const location = useLocation();
  return <p data-testid="address">{location.pathname + location.search + location.hash}</p>;
}

function renderAt(path: string, element: React.ReactElement, route: string) {
  return renderApp(
    <>
      <Routes>
        <Route path={route} element={element} />
        <Route path="/login" element={<p>Log-in page</p>} />
        <Route path="/accounts/password/forgot" element={<p>Forgot page</p>} />
      </Routes>
      <Address />
    </>,
    { path },
  );
}

const bodyOf = async (request: Request) => JSON.parse(await request.clone().text()) as Record<string, unknown>;

describe("VerifyEmail", () => {
  it("sends the link's token once, takes it out of the address bar and says the address is confirmed", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/email/verify`]: { body: { email: "ada@example.com", changed: false } },
    });
    renderAt("/accounts/verify-email#token=abc123", <VerifyEmail />, "/accounts/verify-email");

    expect(await screen.findByRole("heading", { name: "Email address confirmed" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("ada@example.com is confirmed");
    const posts = seen.filter((request) => request.method === "POST");
    expect(posts).toHaveLength(1);
    expect(await bodyOf(posts[0]!)).toEqual({ token: "abc123" });
    expect(screen.getByTestId("address")).toHaveTextContent(/^\/accounts\/verify-email$/);
    expect(screen.getByRole("link", { name: "Log in" })).toHaveAttribute("href", "/login");
  });

  it("says when the link changed the address", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: ME },
      [`POST ${API}/accounts/email/verify`]: { body: { email: "ada@new.example", changed: true } },
    });
    renderAt("/accounts/verify-email#token=abc", <VerifyEmail />, "/accounts/verify-email");

    expect(await screen.findByRole("heading", { name: "Email address changed" })).toBeInTheDocument();
    expect(screen.getByText("Your account's email address is now ada@new.example.")).toBeInTheDocument();
  });

  it("offers a new link when an old one is opened by a signed-in, unconfirmed account", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: UNVERIFIED },
      [`POST ${API}/accounts/email/verify`]: INVALID_LINK,
      [`POST ${API}/accounts/email/verification`]: { status: 202 },
    });
    renderAt("/accounts/verify-email#token=old", <VerifyEmail />, "/accounts/verify-email");

    expect(await screen.findByRole("alert")).toHaveTextContent("This link is not valid any more");
    await userEvent.setup().click(await screen.findByRole("button", { name: "Send a new link" }));

    expect(await screen.findByText("We sent you a new link.")).toBeInTheDocument();
    expect(seen.some((request) => request.url.endsWith("/accounts/email/verification"))).toBe(true);
  });

  it("asks for the link when opened without one", async () => {
    const seen = answerFetch({ [`GET ${API}/accounts/me`]: SIGNED_OUT });
    renderAt("/accounts/verify-email", <VerifyEmail />, "/accounts/verify-email");

    expect(screen.getByText("Open this page with the link in the email we sent you.")).toBeInTheDocument();
    await waitFor(() => expect(seen.filter((request) => request.method === "POST")).toHaveLength(0));
  });
});

describe("ForgotPassword", () => {
  it("sends the login and answers with an 'if' whatever it names", async () => {
    const seen = answerFetch({ [`POST ${API}/accounts/password/reset`]: { status: 202 } });
    renderAt("/accounts/password/forgot", <ForgotPassword />, "/accounts/password/forgot");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username or email"), " ada@example.com ");
    await user.click(screen.getByRole("button", { name: "Send reset link" }));

    expect(await screen.findByRole("status")).toHaveTextContent(
      "If an account matches ada@example.com, we sent a link to its email address.",
    );
    expect(await bodyOf(seen[0]!)).toEqual({ login: "ada@example.com" });
    expect(screen.getByLabelText("Username or email")).toHaveValue("");
  });

  it("asks for a login before sending anything", async () => {
    const seen = answerFetch({});
    renderAt("/accounts/password/forgot", <ForgotPassword />, "/accounts/password/forgot");
    await userEvent.setup().click(screen.getByRole("button", { name: "Send reset link" }));

    expect(await screen.findByText("Enter your username or email.")).toBeInTheDocument();
    expect(seen).toHaveLength(0);
  });

  it("is linked from the log-in screen", () => {
    answerFetch({ [`GET ${API}/accounts/me`]: SIGNED_OUT });
    renderAt("/login", <Login />, "/login");
    expect(screen.getByRole("link", { name: "Forgot password?" })).toHaveAttribute("href", "/accounts/password/forgot");
  });
});

describe("ResetPassword", () => {
  it("sets the new password with the link's token, then sends the person to log in", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: SIGNED_OUT,
      [`POST ${API}/accounts/password/reset/confirm`]: { status: 204 },
    });
    renderAt("/accounts/password/reset#token=r3set", <ResetPassword />, "/accounts/password/reset");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await user.click(screen.getByRole("button", { name: "Set new password" }));

    expect(await screen.findByRole("heading", { name: "Password changed" })).toBeInTheDocument();
    const confirm = seen.find((request) => request.method === "POST");
    expect(await bodyOf(confirm!)).toEqual({ token: "r3set", new_password: "a brand new passphrase" });
    for (const link of screen.getAllByRole("link", { name: "Log in" })) expect(link).toHaveAttribute("href", "/login");
  });

  it("shows a weak password's reason beside the field", async () => {
    answerFetch({
      [`POST ${API}/accounts/password/reset/confirm`]: {
        status: 400,
        body: {
          error: { code: "validation_error", message: "Too weak.", fields: { new_password: "This is a very common password." } },
        },
      },
    });
    renderAt("/accounts/password/reset#token=r3set", <ResetPassword />, "/accounts/password/reset");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("New password"), "password1");
    await user.click(screen.getByRole("button", { name: "Set new password" }));

    expect(await screen.findByText("This is a very common password.")).toBeInTheDocument();
    expect(screen.getByLabelText("New password")).toHaveAttribute("aria-invalid", "true");
  });

  it("offers a new link when this one is used or expired", async () => {
    answerFetch({ [`POST ${API}/accounts/password/reset/confirm`]: INVALID_LINK });
    renderAt("/accounts/password/reset#token=old", <ResetPassword />, "/accounts/password/reset");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await user.click(screen.getByRole("button", { name: "Set new password" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("This link is not valid any more");
    expect(screen.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute("href", "/accounts/password/forgot");
  });
});

describe("RevertEmail", () => {
  it("takes the address back with a new password", async () => {
    const seen = answerFetch({ [`POST ${API}/accounts/email/revert`]: { body: { email: "ada@example.com" } } });
    renderAt("/accounts/email/revert#token=back", <RevertEmail />, "/accounts/email/revert");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("New password"), "a brand new passphrase");
    await user.click(screen.getByRole("button", { name: "Take my account back" }));

    expect(await screen.findByRole("heading", { name: "Your account is yours again" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("Its email address is ada@example.com again");
    expect(await bodyOf(seen[0]!)).toEqual({ token: "back", new_password: "a brand new passphrase" });
  });
});

describe("EmailSection", () => {
  it("shows an unconfirmed address and sends its link again", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: UNVERIFIED },
      [`POST ${API}/accounts/email/verification`]: { status: 202 },
    });
    renderApp(<EmailSection />);

    expect(await screen.findByText("Not confirmed")).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole("button", { name: "Send the confirmation link again" }));

    expect(await screen.findByText("We sent the link again.")).toBeInTheDocument();
    expect(seen.filter((request) => request.method === "POST")).toHaveLength(1);
  });

  it("asks for the password when the session proved it too long ago, then sends the link to the new address", async () => {
    let attempts = 0;
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: ME },
      [`POST ${API}/accounts/email`]: () => {
        attempts += 1;
        if (attempts === 1) {
          return {
            status: 403,
            body: { error: { code: "reauthentication_required", message: "Confirm it's you.", fields: {} } },
          };
        }
        return { status: 202, body: { pending_email: "ada@new.example", expires_in_hours: 48 } };
      },
      [`POST ${API}/accounts/reauthenticate`]: { body: { reauthenticated_until: "2030-01-01T00:00:00Z" } },
    });
    renderApp(<EmailSection />);
    expect(await screen.findByText("Confirmed")).toBeInTheDocument();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("New email address"), "ada@new.example");
    await user.click(screen.getByRole("button", { name: "Change email" }));

    const dialog = await screen.findByRole("dialog", { name: "Confirm it's you" });
    await user.type(within(dialog).getByLabelText("Password"), "my password");
    await user.click(within(dialog).getByRole("button", { name: "Confirm" }));

    expect(await screen.findByRole("status")).toHaveTextContent(
      "We sent a link to ada@new.example. Your address changes when you open it (within 48 hours).",
    );
    const changes = seen.filter((request) => request.url.endsWith("/accounts/email"));
    expect(changes).toHaveLength(2);
    expect(await bodyOf(changes[1]!)).toEqual({ email: "ada@new.example" });
  });

  it("asks for the new address before sending anything", async () => {
    const seen = answerFetch({ [`GET ${API}/accounts/me`]: { body: ME } });
    renderApp(<EmailSection />);
    await userEvent.setup().click(screen.getByRole("button", { name: "Change email" }));

    expect(await screen.findByText("Enter the new address.")).toBeInTheDocument();
    expect(seen.filter((request) => request.method === "POST")).toHaveLength(0);
  });
});

describe("the banner of an unconfirmed address", () => {
  function renderLayout() {
    return renderApp(
      <Routes>
        <Route element={<Layout />}>
          <Route path="/" element={<p>Home feed</p>} />
        </Route>
      </Routes>,
    );
  }

  it("says where the link went until the address is confirmed", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: UNVERIFIED },
      [`POST ${API}/accounts/email/verification`]: { status: 202 },
    });
    renderLayout();
    const banner = await screen.findByRole("status", { name: "Confirm your email address" });
    expect(banner).toHaveTextContent("open the link we sent to ada@example.com");
    expect(within(banner).getByRole("link", { name: "Change address" })).toHaveAttribute("href", "/settings#email");

    await userEvent.setup().click(within(banner).getByRole("button", { name: "Send it again" }));
    expect(await within(banner).findByText(/We sent it again/)).toBeInTheDocument();
    expect(seen.some((request) => request.url.endsWith("/accounts/email/verification"))).toBe(true);
  });

  it("is not there for a confirmed address", async () => {
    answerFetch({ [`GET ${API}/accounts/me`]: { body: ME } });
    renderLayout();
    expect(await screen.findByText("Home feed")).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByRole("link", { name: /Settings/ }).length).toBeGreaterThan(0));
    expect(screen.queryByRole("status", { name: "Confirm your email address" })).not.toBeInTheDocument();
  });
});

describe("security activity", () => {
  const event = (kind: string, detail: Record<string, unknown>) => ({
    id: "1",
    kind,
    detail,
    created_at: "2025-03-01T10:00:00Z",
    ip_address: "203.0.113.9",
    user_agent: "",
  });

  it("describes the email events", () => {
    expect(describeEvent(event("email_changed", { old_email: "a@x.org", new_email: "b@x.org" }))).toBe(
      "Email address changed from a@x.org to b@x.org",
    );
    expect(describeEvent(event("password_reset", { sessions_ended: 2, tokens_revoked: 1 }))).toBe(
      "Password reset with an emailed link (2 sessions logged out, 1 API token revoked)",
    );
    expect(describeEvent(event("email_verified", { email: "a@x.org" }))).toBe("Email address a@x.org confirmed");
  });
});
