import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch } from "../test/render";
import { ApiError, api, unwrap } from "./client";

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "vf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
});

describe("api client", () => {
  it("turns the API's error shape into an ApiError with field messages", async () => {
    answerFetch({
      "POST /api/viewfinder/v1/accounts/signup": {
        status: 400,
        body: { error: { code: "validation_error", message: "Username taken.", fields: { username: "Taken." } } },
      },
    });
    const call = unwrap(
      api.POST("/api/viewfinder/v1/accounts/signup", {
        body: { email: "a@example.com", username: "a", password: "x", display_name: "" },
      }),
    );
    await expect(call).rejects.toMatchObject({ status: 400, code: "validation_error", message: "Username taken." });
    const error = (await call.catch((exc: unknown) => exc)) as ApiError;
    expect(error.field("username")).toBe("Taken.");
  });

  it("sends the CSRF cookie's token on writes only", async () => {
    document.cookie = "vf_csrf=tok123";
    const seen = answerFetch({
      "POST /api/viewfinder/v1/accounts/logout": { status: 204 },
      "GET /api/viewfinder/v1/notifications/unread-count": { body: { unread: 2 } },
    });
    await unwrap(api.POST("/api/viewfinder/v1/accounts/logout"));
    await unwrap(api.GET("/api/viewfinder/v1/notifications/unread-count"));
    expect(seen[0]?.headers.get("X-CSRF-Token")).toBe("tok123");
    expect(seen[1]?.headers.get("X-CSRF-Token")).toBeNull();
  });

  it("reports a network failure as being offline", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(unwrap(api.GET("/api/viewfinder/v1/accounts/me"))).rejects.toMatchObject({ code: "network_error" });
  });
});
