import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Signup } from "../screens/Signup";
import { answerFetch, renderApp } from "../test/render";
import { ME, SIGNED_OUT } from "./fixtures";

afterEach(() => vi.unstubAllGlobals());

function renderSignup(path = "/signup") {
  return renderApp(
    <Routes>
      <Route path="/signup" element={<Signup />} />
      <Route path="/" element={<p>Home feed</p>} />
      <Route path="/explore" element={<p>Explore page</p>} />
    </Routes>,
    { path },
  );
}

async function fillIn(password = "correct horse battery staple") {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Email"), "ada@example.com");
  await user.type(screen.getByLabelText("Username"), "ada");
  await user.type(screen.getByLabelText("Password"), password);
  return user;
}

describe("Signup", () => {
  it("shows the API's message beside the field it names, and marks the field invalid", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT,
      "POST /api/viewfinder/v1/accounts/signup": {
        status: 400,
        body: {
          error: { code: "validation_error", message: "Some fields need attention.", fields: { password: "This password is too common." } },
        },
      },
    });
    renderSignup();
    const user = await fillIn("password");
    await user.click(screen.getByRole("button", { name: "Sign up" }));

    const password = screen.getByLabelText("Password");
    expect(await screen.findByText("This password is too common.")).toBeInTheDocument();
    expect(password).toHaveAttribute("aria-invalid", "true");
    expect(password).toHaveAccessibleDescription(expect.stringContaining("This password is too common."));
    expect(password).toHaveFocus();
    expect(screen.getByLabelText("Email")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByText("Some fields need attention.")).not.toBeInTheDocument();
  });

  it("signs up and goes on to the page in `next`", async () => {
    const seen = answerFetch({
      "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT,
      "POST /api/viewfinder/v1/accounts/signup": { status: 201, body: { me: ME, csrf_token: "t" } },
    });
    renderSignup("/signup?next=%2Fexplore");
    const user = await fillIn();
    await user.click(screen.getByRole("button", { name: "Sign up" }));

    expect(await screen.findByText("Explore page")).toBeInTheDocument();
    const request = seen.find((r) => r.method === "POST");
    expect(await request?.json()).toEqual({
      email: "ada@example.com",
      username: "ada",
      password: "correct horse battery staple",
      display_name: "",
    });
  });

  it("sends the full name, and shows the API's refusal of it beside the field", async () => {
    const seen = answerFetch({
      "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT,
      "POST /api/viewfinder/v1/accounts/signup": {
        status: 422,
        body: {
          error: {
            code: "content_blocked",
            message: "This contains something this instance does not allow.",
            fields: { display_name: "This contains something this instance does not allow." },
          },
        },
      },
    });
    renderSignup();
    const user = await fillIn();
    await user.type(screen.getByLabelText("Full name"), "  Ada Lovelace ");
    await user.click(screen.getByRole("button", { name: "Sign up" }));

    const name = screen.getByLabelText("Full name");
    expect(await screen.findByText("This contains something this instance does not allow.")).toBeInTheDocument();
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveFocus();
    const request = seen.find((r) => r.method === "POST");
    expect((await request?.json()).display_name).toBe("Ada Lovelace");
  });

  it("shows the password typed, and hides it again", async () => {
    answerFetch({ "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT });
    renderSignup();
    const user = userEvent.setup();
    const password = screen.getByLabelText("Password");
    expect(screen.queryByRole("button", { name: "Show" })).not.toBeInTheDocument(); // nothing to show yet
    await user.type(password, "s3cret words");

    await user.click(screen.getByRole("button", { name: "Show" }));
    expect(password).toHaveAttribute("type", "text");
    expect(password).toHaveValue("s3cret words");
    await user.click(screen.getByRole("button", { name: "Hide" }));
    expect(password).toHaveAttribute("type", "password");
  });

  it("names the empty fields without asking the API", async () => {
    const seen = answerFetch({ "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT });
    renderSignup();
    await userEvent.setup().click(screen.getByRole("button", { name: "Sign up" }));

    expect(screen.getByText("Enter your email address.")).toBeInTheDocument();
    expect(screen.getByText("Choose a username.")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveFocus();
    expect(seen.some((r) => r.method === "POST")).toBe(false);
  });

  it("sends someone already signed in home, and links to log-in", async () => {
    answerFetch({ "GET /api/viewfinder/v1/accounts/me": { body: ME } });
    renderSignup();
    expect(screen.getByRole("link", { name: "Log in" })).toHaveAttribute("href", "/login");
    await waitFor(() => expect(screen.getByText("Home feed")).toBeInTheDocument());
  });
});
