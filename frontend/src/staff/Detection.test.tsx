import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerFetch, renderApp } from "../test/render";
import { Detection } from "./Detection";
import { API, staffMe } from "./testData";
import type { DetectionThresholds, KnownBadHash, ThresholdValues } from "./types";

afterEach(() => vi.unstubAllGlobals());

const THRESHOLDS = `${API}/staff/detection/thresholds`;
const HASHES = `${API}/staff/known-bad-hashes`;

const DEFAULTS: ThresholdValues = {
  spam_flag_threshold: 0.5,
  spam_hold_threshold: 0.8,
  spam_refuse_threshold: 1.01,
  nsfw_sensitive_threshold: 0.8,
  nsfw_hold_threshold: 0.95,
  pdq_max_distance: 31,
  pdq_min_quality: 50,
};

function thresholds(values: Partial<ThresholdValues> = {}, changedAt: string | null = null): DetectionThresholds {
  return { values: { ...DEFAULTS, ...values }, defaults: DEFAULTS, changed_at: changedAt };
}

function hashOut(id: string, extra: Partial<KnownBadHash> = {}): KnownBadHash {
  return {
    id,
    hash: `${id}`.padStart(4, "a") + "f".repeat(60),
    quality: 90,
    label: `label ${id}`,
    source: "threatexchange-2026-12",
    added_by_id: "u-mia",
    created_at: "2026-12-01T10:00:00Z",
    ...extra,
  };
}

const bodyOf = async (request: Request) => (await request.clone().json()) as unknown;
const writes = (seen: Request[]) => seen.filter((request) => request.method !== "GET");

function showDetection(routes: Parameters<typeof answerFetch>[0], role = "admin") {
  const seen = answerFetch({
    [`GET ${API}/accounts/me`]: { body: staffMe(role) },
    [`GET ${THRESHOLDS}`]: { body: thresholds({ spam_hold_threshold: 0.9 }, "2026-12-06T09:00:00Z") },
    [`GET ${HASHES}`]: { body: { total: 0, matchable: 0, items: [] } },
    ...routes,
  });
  renderApp(<Detection />, { path: "/staff/detection" });
  return seen;
}

/** The field (label, input, default, reset, help, error) of one threshold. */
function fieldOf(label: string): HTMLElement {
  return screen.getByLabelText(label).closest(".field") as HTMLElement;
}

describe("detection thresholds", () => {
  it("shows the values with the default beside a changed one, and saves only what changed", async () => {
    const seen = showDetection({
      [`PATCH ${THRESHOLDS}`]: { body: thresholds({ spam_hold_threshold: 0.9, spam_flag_threshold: 0.6, pdq_max_distance: 20 }) },
    });
    const form = await screen.findByRole("form", { name: "Detection thresholds" });
    expect(within(form).getByLabelText("Spam: flag from")).toHaveValue(0.5);
    expect(within(form).getByLabelText("Spam: hold from")).toHaveValue(0.9);
    expect(within(form).getByLabelText("Match distance")).toHaveValue(31);
    expect(within(form).getByLabelText("Spam: refuse from")).toHaveAccessibleDescription(
      "From this score the text is refused outright. Above 1 means never.",
    );
    // Only the value staff changed shows its default and a reset.
    expect(fieldOf("Spam: hold from")).toHaveTextContent("Default: 0.8");
    expect(fieldOf("Spam: flag from")).not.toHaveTextContent("Default");
    expect(within(form).getAllByRole("button", { name: /Reset to default/ })).toHaveLength(1);
    expect(form).toHaveTextContent("Last changed");

    const save = within(form).getByRole("button", { name: "Save" });
    expect(save).toBeDisabled();
    const user = userEvent.setup();
    await user.clear(within(form).getByLabelText("Spam: flag from"));
    await user.type(within(form).getByLabelText("Spam: flag from"), "0.6");
    await user.clear(within(form).getByLabelText("Match distance"));
    await user.type(within(form).getByLabelText("Match distance"), "20");
    await user.click(save);
    await waitFor(() => expect(writes(seen)).toHaveLength(1));
    expect(writes(seen)[0]?.method).toBe("PATCH");
    expect(await bodyOf(writes(seen)[0] as Request)).toEqual({ spam_flag_threshold: 0.6, pdq_max_distance: 20 });
    expect(await within(form).findByRole("status")).toHaveTextContent("Thresholds saved.");
    expect(within(form).getByLabelText("Spam: flag from")).toHaveValue(0.6);
    expect(fieldOf("Match distance")).toHaveTextContent("Default: 31");
    expect(save).toBeDisabled();
  });

  it("shows the API's refusal under the field it names, and keeps the edit", async () => {
    const seen = showDetection({
      [`PATCH ${THRESHOLDS}`]: {
        status: 422,
        body: {
          error: {
            code: "invalid_thresholds",
            message: "Check the thresholds.",
            fields: { spam_hold_threshold: "Must be at least the flag threshold (0.5)." },
          },
        },
      },
    });
    const form = await screen.findByRole("form", { name: "Detection thresholds" });
    const hold = within(form).getByLabelText("Spam: hold from");
    const user = userEvent.setup();
    await user.clear(hold);
    await user.type(hold, "0.4");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    const message = await within(fieldOf("Spam: hold from")).findByRole("alert");
    expect(message).toHaveTextContent("Must be at least the flag threshold (0.5).");
    expect(hold).toHaveAttribute("aria-invalid", "true");
    expect(hold).toHaveAccessibleDescription(expect.stringContaining("Must be at least the flag threshold"));
    expect(hold).toHaveValue(0.4);
    expect(await bodyOf(writes(seen)[0] as Request)).toEqual({ spam_hold_threshold: 0.4 });
    // The field says it; no second banner repeats it.
    expect(within(form).getAllByRole("alert")).toHaveLength(1);
  });

  it("names a value out of its range before sending anything", async () => {
    const seen = showDetection({});
    const form = await screen.findByRole("form", { name: "Detection thresholds" });
    const user = userEvent.setup();
    await user.clear(within(form).getByLabelText("Nudity: hold from"));
    await user.type(within(form).getByLabelText("Nudity: hold from"), "1.5");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(fieldOf("Nudity: hold from")).findByRole("alert")).toHaveTextContent("Enter a number from 0 to 1.");
    expect(writes(seen)).toHaveLength(0);
  });

  it("resets one value to the default by sending null, keeping other unsaved edits", async () => {
    const seen = showDetection({ [`PATCH ${THRESHOLDS}`]: { body: thresholds({}, "2026-12-06T09:05:00Z") } });
    const form = await screen.findByRole("form", { name: "Detection thresholds" });
    const user = userEvent.setup();
    await user.clear(within(form).getByLabelText("Minimum quality"));
    await user.type(within(form).getByLabelText("Minimum quality"), "70");
    await user.click(within(form).getByRole("button", { name: "Reset to default: Spam: hold from" }));
    await waitFor(() => expect(writes(seen)).toHaveLength(1));
    expect(await bodyOf(writes(seen)[0] as Request)).toEqual({ spam_hold_threshold: null });
    await waitFor(() => expect(within(form).getByLabelText("Spam: hold from")).toHaveValue(0.8));
    expect(within(form).queryByRole("button", { name: /Reset to default/ })).not.toBeInTheDocument();
    expect(within(form).getByLabelText("Minimum quality")).toHaveValue(70);
    expect(within(form).getByRole("button", { name: "Save" })).toBeEnabled();
  });

  it("is not offered to a moderator, and nothing is fetched", async () => {
    const seen = showDetection({}, "moderator");
    expect(await screen.findByRole("heading", { name: "No access" })).toBeInTheDocument();
    expect(seen.some((request) => request.url.includes("/staff/"))).toBe(false);
  });
});

describe("the known-bad media list", () => {
  it("shows the counts and rows, and deletes a row only after confirming", async () => {
    let items = [hashOut("2", { label: "" }), hashOut("1")];
    const seen = showDetection({
      [`GET ${HASHES}`]: () => ({ body: { total: items.length, matchable: 1, items } }),
      [`DELETE ${HASHES}/2`]: () => {
        items = items.filter((item) => item.id !== "2");
        return { status: 204 };
      },
    });
    const table = await screen.findByRole("table", { name: "Known-bad hashes" });
    expect(screen.getByText(/2 hashes listed, 1 matched against uploads/)).toBeInTheDocument();
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toHaveTextContent("aaa1ffffffffffff…");
    expect(rows[1]).toHaveTextContent("label 1");
    expect(rows[1]).toHaveTextContent("threatexchange-2026-12");
    expect(rows[1]).toHaveTextContent("90");
    expect(within(rows[1] as HTMLElement).getByTitle(hashOut("1").hash)).toBeInTheDocument();

    const user = userEvent.setup();
    await user.click(within(table).getByRole("button", { name: "Delete hash aaa2ffffffffffff…" }));
    const confirm = await screen.findByRole("dialog", { name: "Delete hash?" });
    expect(writes(seen)).toHaveLength(0);
    await user.click(within(confirm).getByRole("button", { name: "Delete hash" }));
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(2));
    expect(writes(seen)[0]?.method).toBe("DELETE");
    expect(new URL(writes(seen)[0]?.url ?? "").pathname).toBe(`${HASHES}/2`);
    expect(table).not.toHaveTextContent("aaa2");
    await waitFor(() => expect(screen.getByText(/1 hash listed/)).toBeInTheDocument());
  });

  it("imports a pasted list and says what it added", async () => {
    let total = 0;
    const seen = showDetection({
      [`GET ${HASHES}`]: () => ({ body: { total, matchable: total, items: [] } }),
      [`POST ${HASHES}/import`]: () => {
        total = 3;
        return { status: 201, body: { added: 3, already_listed: 2, below_quality: 1 } };
      },
    });
    const form = await screen.findByRole("form", { name: "Import a hash list" });
    expect(await screen.findByText("No hashes listed yet.")).toBeInTheDocument();
    const user = userEvent.setup();
    await user.type(within(form).getByLabelText("List name"), "threatexchange-2026-12");
    const csv = `${"a".repeat(64)},100,bait`;
    await user.type(within(form).getByLabelText("Or paste the list"), csv);
    await user.click(within(form).getByRole("button", { name: "Import" }));
    expect(await within(form).findByRole("status")).toHaveTextContent(
      "Added 3 (1 below the minimum quality: kept, never matched); 2 already listed.",
    );
    expect(await bodyOf(writes(seen)[0] as Request)).toEqual({ source: "threatexchange-2026-12", csv });
    expect(within(form).getByLabelText("Or paste the list")).toHaveValue("");
    expect(await screen.findByText(/3 hashes listed/)).toBeInTheDocument();
  });

  it("reads the list from a file, naming it after the file, and shows a refused line", async () => {
    const seen = showDetection({
      [`POST ${HASHES}/import`]: {
        status: 422,
        body: { error: { code: "bad_hash_list", message: "Line 2: the hash must be 64 hex digits.", fields: { file: "Line 2" } } },
      },
    });
    const form = await screen.findByRole("form", { name: "Import a hash list" });
    const text = `hash,quality,label\nnot-a-hash,90,x\n`;
    const user = userEvent.setup();
    await user.upload(within(form).getByLabelText("CSV file"), new File([text], "ncmec-12.csv", { type: "text/csv" }));
    await waitFor(() => expect(within(form).getByLabelText("Or paste the list")).toHaveValue(text));
    expect(within(form).getByLabelText("List name")).toHaveValue("ncmec-12");
    await user.click(within(form).getByRole("button", { name: "Import" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("Line 2: the hash must be 64 hex digits.");
    expect(within(form).getByLabelText("Or paste the list")).toHaveAttribute("aria-invalid", "true");
    expect(await bodyOf(writes(seen)[0] as Request)).toEqual({ source: "ncmec-12", csv: text });
  });
});
