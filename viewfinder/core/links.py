"""Links in people's text: the host names written in it, as the staff's link rules and the spam
model read them (`viewfinder.screening`, `viewfinder.detection.spam`). Pure text functions, no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

MAX_DOMAIN: Final = 253
"""The longest host name there is (RFC 1035), in ASCII."""

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def ascii_host(host: str) -> str | None:
    """A host name in lower-case ASCII (IDNA, punycode for Unicode labels), or None if it is not one."""
    host = host.strip().lower().rstrip(".")
    try:
        encoded = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = encoded.split(".")
    if len(encoded) > MAX_DOMAIN or len(labels) < 2 or labels[-1].isdigit():
        return None
    if not all(_LABEL.match(label) for label in labels):
        return None
    return encoded


_HOST_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_LINK = re.compile(
    # A scheme (and any user information after it), or a start that is not inside a word, an
    # address, a mention or a path; then labels, and a top-level label of letters (or punycode).
    r"(?:(?P<scheme>\b[a-z][a-z0-9+.-]{0,20}://)(?:[^\s/?#@]{0,200}@)?|(?<![\w@./-]))"
    rf"(?P<host>(?:{_HOST_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{1,59}}))"
    r"(?![\w-])(?P<path>/)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Link:
    """A host name found in text, and whether it was written as an address (a scheme, "www." or
    a path after it) rather than as a bare name that may be a word ("node.js", "home.Then")."""

    host: str
    explicit: bool


def links_in(text: str) -> list[Link]:
    """The host names in the text, in order, in lower-case ASCII (punycode)."""
    found: list[Link] = []
    for match in _LINK.finditer(unicodedata.normalize("NFKC", text)):
        host = ascii_host(match.group("host"))
        if host is not None:
            explicit = bool(match.group("scheme") or match.group("path")) or host.startswith("www.")
            found.append(Link(host, explicit))
    return found


def count_links(text: str) -> int:
    """How many links the text has, for the new-account limit: each address written as one (with a
    scheme, "www." or a path), once per place it appears. Bare names are not counted: "node.js"
    is as likely a word as a link (link rules still match them)."""
    return sum(1 for link in links_in(text) if link.explicit)
