import { describe, expect, it } from "vitest";
import { linkPieces } from "./Linkified";

describe("linkPieces", () => {
  it("links hashtags and mentions as the API reads them", () => {
    expect(linkPieces("Hi @alice. Love #Sunsets!")).toEqual([
      { text: "Hi " },
      { text: "@alice", to: "/alice" },
      { text: ". Love " },
      { text: "#Sunsets", to: "/tags/sunsets" },
      { text: "!" },
    ]);
  });

  it("leaves e-mail addresses, doubled marks and bare signs alone", () => {
    expect(linkPieces("mail me@example.com ##no @ # ok")).toEqual([{ text: "mail me@example.com ##no @ # ok" }]);
  });

  it("reads letters beyond ASCII in tags", () => {
    expect(linkPieces("#café")).toEqual([{ text: "#café", to: "/tags/caf%C3%A9" }]);
  });
});
