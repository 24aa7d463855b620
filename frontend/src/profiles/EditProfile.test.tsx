import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Me } from "../api/client";
import { EditProfile } from "../screens/EditProfile";
import { answerFetch, renderApp } from "../test/render";
import { API, me } from "./testData";

afterEach(() => vi.unstubAllGlobals());

describe("EditProfile", () => {
  it("saves name, bio and website and says so", async () => {
    const bodies: unknown[] = [];
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`PATCH ${API}/accounts/me`]: async (request) => {
        const body = (await request.json()) as { display_name: string };
        bodies.push(body);
        return { body: me({ display_name: body.display_name.trim() }) };
      },
    });
    const { client } = renderApp(<EditProfile />);
    const name = await screen.findByLabelText("Name");
    await userEvent.clear(name);
    await userEvent.type(name, "Bobby ");
    await userEvent.type(screen.getByLabelText("Bio"), "Hi");
    expect(screen.getByText("2 / 150")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByText("Profile saved.")).toBeInTheDocument();
    expect(bodies).toEqual([{ display_name: "Bobby ", bio: "Hi", website: "" }]);
    expect(screen.getByLabelText("Name")).toHaveValue("Bobby");
    expect(client.getQueryData<Me>(["me"])?.profile.display_name).toBe("Bobby");
  });

  it("shows the API's field errors beside their fields", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`PATCH ${API}/accounts/me`]: {
        status: 400,
        body: {
          error: {
            code: "validation_error",
            message: "Use a full http:// or https:// address of at most 200 characters.",
            fields: { website: "Use a full http:// or https:// address of at most 200 characters." },
          },
        },
      },
    });
    renderApp(<EditProfile />);
    await userEvent.type(await screen.findByLabelText("Website"), "example.com");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));

    const website = screen.getByLabelText("Website");
    await waitFor(() => expect(website).toHaveAttribute("aria-invalid", "true"));
    expect(website).toHaveAccessibleDescription("Use a full http:// or https:// address of at most 200 characters.");
    expect(screen.queryByText("Profile saved.")).not.toBeInTheDocument();
  });

  it("saves the private switch as soon as it is flipped and announces it", async () => {
    const bodies: unknown[] = [];
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`PATCH ${API}/accounts/me`]: async (request) => {
        bodies.push(await request.json());
        return { body: me({ is_private: true }) };
      },
    });
    renderApp(<EditProfile />);
    const privacy = await screen.findByRole("switch", { name: "Private account" });
    expect(privacy).not.toBeChecked();
    await userEvent.click(privacy);

    expect(privacy).toBeChecked();
    expect(await screen.findByText("Your account is now private.")).toBeInTheDocument();
    expect(bodies).toEqual([{ is_private: true }]);
  });

  it("puts the switch back when saving it fails", async () => {
    answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`PATCH ${API}/accounts/me`]: {
        status: 503,
        body: { error: { code: "unavailable", message: "Try again soon.", fields: {} } },
      },
    });
    renderApp(<EditProfile />);
    await userEvent.click(await screen.findByRole("switch", { name: "Private account" }));
    expect(await screen.findByText("Try again soon.")).toBeInTheDocument();
    expect(screen.getByRole("switch", { name: "Private account" })).not.toBeChecked();
  });

  it("uploads a new profile photo as multipart", async () => {
    const seen = answerFetch({
      [`GET ${API}/accounts/me`]: { body: me() },
      [`PUT ${API}/accounts/me/avatar`]: { body: me({ avatar_url: "/media/avatar.jpg" }) },
    });
    renderApp(<EditProfile />);
    const file = new File(["png"], "me.png", { type: "image/png" });
    await userEvent.upload(await screen.findByLabelText("Change profile photo"), file);

    expect(await screen.findByRole("button", { name: "Remove profile photo" })).toBeInTheDocument();
    const upload = seen.find((request) => request.method === "PUT");
    expect(upload?.headers.get("Content-Type")).toMatch(/^multipart\/form-data/);
  });
});
