import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Login } from "../screens/Login";
import { answerFetch, renderApp } from "../test/render";
import { ME, SIGNED_OUT } from "./fixtures";

afterEach(() => vi.unstubAllGlobals());

function renderLogin(path = "/login") {
  return renderApp(
    <Routes>
      <Route path="/login" element={<Login />} />
      <Route path="/" element={<p>Home feed</p>} />
      <Route path="/saved" element={<p>Saved page</p>} />
    </Routes>,
    { path },
  );
}

describe("Login", () => {
  it("shows the API's message in a banner when the password is wrong", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT,
      "POST /api/viewfinder/v1/accounts/login": {
        status: 401,
        body: { error: { code: "invalid_credentials", message: "The username or password is wrong.", fields: {} } },
      },
    });
    renderLogin();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username or email"), "ada");
    await user.type(screen.getByLabelText("Password"), "not it");
    await user.click(screen.getByRole("button", { name: "Log in" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("The username or password is wrong.");
    expect(screen.getByRole("button", { name: "Log in" })).toBeEnabled();
    expect(screen.getByRole("link", { name: "Sign up" })).toHaveAttribute("href", "/signup");
  });

  it("disables the button while logging in, then goes to `next`", async () => {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const seen = answerFetch({
      "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT,
      "POST /api/viewfinder/v1/accounts/login": async () => {
        await answered;
        return { body: { me: ME, csrf_token: "t" } };
      },
    });
    renderLogin("/login?next=%2Fsaved");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username or email"), " ada@example.com ");
    await user.type(screen.getByLabelText("Password"), "secret words");
    await user.keyboard("{Enter}");

    expect(screen.getByRole("button", { name: "Log in" })).toBeDisabled();
    answer();
    expect(await screen.findByText("Saved page")).toBeInTheDocument();
    const request = seen.find((r) => r.method === "POST");
    expect(await request?.json()).toEqual({ login: "ada@example.com", password: "secret words" });
  });

  it("never follows a `next` that leaves the site", async () => {
    answerFetch({
      "GET /api/viewfinder/v1/accounts/me": SIGNED_OUT,
      "POST /api/viewfinder/v1/accounts/login": { body: { me: ME, csrf_token: "t" } },
    });
    renderLogin("/login?next=%2F%2Fevil.example");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username or email"), "ada");
    await user.type(screen.getByLabelText("Password"), "secret words");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByText("Home feed")).toBeInTheDocument();
  });
});
