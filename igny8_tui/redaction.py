"""Credentials kept out of what igny8 shows or writes: URLs, and any text that may hold one."""

from __future__ import annotations

import re
from urllib.parse import unquote

HIDDEN = "***"
# A URL's user information: from `scheme://` to the last `@` before the host (a password may
# itself hold an `@`), within one word.
_USERINFO_IN_TEXT = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#]*@")
# Parts of a notification URL shorter than these are not hidden inside other text: that would
# mangle the text and guard next to nothing. Tokens in a path or query are long; passwords may
# be short.
_MIN_PASSWORD_CHARS = 3
_MIN_TOKEN_CHARS = 8
_URL_TAIL_SEPARATORS = re.compile(r"[/?&=#]+")


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


def redacted_notify_url(url: str) -> str:
    """A notification URL fit to show: its scheme, and its host where it names one. User
    information, path and query become `***`: apprise URLs carry tokens in any of them, and a
    host part without a dot is a token too (`slack://TokenA/TokenB/TokenC` -> `slack://***`)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return HIDDEN
    authority, tail = _split_authority(rest)
    _, at, host = authority.rpartition("@")
    if not _looks_like_host(host):
        return f"{scheme}://{HIDDEN}"
    shown = f"{scheme}://{HIDDEN}@{host}" if at else f"{scheme}://{host}"
    return f"{shown}/{HIDDEN}" if tail.strip("/") else shown


def without_url_secrets(text: str, url: str) -> str:
    """`text` (a reason apprise gave, say) with every part of `url` that may be secret, and the
    user information of any URL in it, replaced by `***`."""
    for part in sorted(_secret_parts(url), key=len, reverse=True):
        text = text.replace(part, HIDDEN)
    return redacted_text(text)


def _split_authority(rest: str) -> tuple[str, str]:
    """A URL after its `scheme://`: (user information and host, what follows them)."""
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    return rest[:end], rest[end:]


def _looks_like_host(host: str) -> bool:
    name = host if host.startswith("[") else host.rsplit(":", 1)[0]
    return "." in name or name == "localhost" or name.startswith("[")


def _secret_parts(url: str) -> set[str]:
    _, _, rest = url.partition("://")
    authority, tail = _split_authority(rest)
    userinfo, _, host = authority.rpartition("@")
    tokens = [url, rest, *_URL_TAIL_SEPARATORS.split(tail)]
    if not _looks_like_host(host):
        tokens.append(host)
    credentials = userinfo.split(":", 1) if userinfo else []
    return {
        *_at_least(_MIN_PASSWORD_CHARS, credentials),
        *_at_least(_MIN_TOKEN_CHARS, tokens),
    }


def _at_least(chars: int, pieces: list[str]) -> set[str]:
    """The pieces as written and percent-decoded, those of `chars` characters or more."""
    return {p for piece in pieces for p in (piece, unquote(piece)) if len(p) >= chars}
