"""Credentials kept out of what igny8 shows or writes: URLs, and any text that may hold one."""

from __future__ import annotations

import re

HIDDEN = "***"
# A URL's user information: from `scheme://` to the last `@` before the host (a password may
# itself hold an `@`), within one word.
_USERINFO_IN_TEXT = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#]*@")


def redacted_url(url: str) -> str:
    """A URL fit to show: a user name and password in it become `***`. Works on strings that do
    not parse as URLs too (a typo in `--db` is shown back without its password)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority_end = len(rest)
    for stop in "?#":
        if stop in rest:
            authority_end = min(authority_end, rest.index(stop))
    before_query = rest[:authority_end]
    at = before_query.rfind("@")
    if at < 0:
        return url
    return f"{scheme}://{HIDDEN}@{rest[at + 1 :]}"


def redacted_text(text: str) -> str:
    """`text` with the user information of every URL in it replaced by `***`."""
    return _USERINFO_IN_TEXT.sub(rf"\1{HIDDEN}@", text)
