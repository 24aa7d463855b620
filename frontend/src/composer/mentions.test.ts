import { describe, expect, it } from "vitest";
import { activeToken, insertCompletion } from "./mentions";

describe("activeToken", () => {
  it("finds the hashtag or mention being typed at the caret", () => {
    expect(activeToken("Sunset #ta", 10)).toEqual({ kind: "hashtag", query: "ta", start: 7, end: 10 });
    expect(activeToken("with @al.b", 10)).toEqual({ kind: "mention", query: "al.b", start: 5, end: 10 });
  });

  it("uses the text up to the caret as the query and the whole word as the token", () => {
    expect(activeToken("#golden hour", 3)).toEqual({ kind: "hashtag", query: "go", start: 0, end: 7 });
  });

  it("ignores a sigil inside a word, a bare sigil and plain words", () => {
    expect(activeToken("mail@example", 12)).toBeNull();
    expect(activeToken("Look #", 6)).toBeNull();
    expect(activeToken("just words", 10)).toBeNull();
    expect(activeToken("#tag done", 9)).toBeNull();
    expect(activeToken("##double", 8)).toBeNull();
  });

  it("accepts letters of any script in tags but not in usernames", () => {
    expect(activeToken("#café", 5)?.query).toBe("café");
    expect(activeToken("@josé", 5)).toBeNull();
  });
});

describe("insertCompletion", () => {
  it("replaces the token with the completion and a space", () => {
    const text = "Sunset #ta";
    const token = activeToken(text, text.length)!;
    expect(insertCompletion(text, token, "tahoe")).toEqual({ text: "Sunset #tahoe ", caret: 14 });
  });

  it("replaces the whole word and keeps what follows", () => {
    const text = "hi @al there";
    const token = activeToken(text, 5)!;
    expect(insertCompletion(text, token, "alice")).toEqual({ text: "hi @alice there", caret: 10 });
  });
});
