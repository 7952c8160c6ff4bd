"""Text from a peer, made safe to print: a hostile server must not drive the user's terminal.

:func:`printable` is the one rule every tool prints a peer's text through (FTP listings and
replies, HTTP reason phrases, URLs in messages).
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL (a terminal obeys these), lone surrogates (bytes that were not
# UTF-8), line and paragraph separators, the bidirectional controls that make text display
# in an order other than its own (the "Trojan source" characters), and the invisible ones
# (zero-width spaces and joiners, the BOM) that let one name pass for another.
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\udc80-\udcff]"
)
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    if character in _NAMED:
        return _NAMED[character]
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape kept: show the byte itself
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character escaped (``\\e``, ``\\r``, ``\\x07``, ``\\u202e``).

    What a server sends is the server's to choose; what a terminal does with ESC, CR or BEL is
    not, so nothing from the server reaches the user's terminal unescaped. Backslashes are left
    as they are: an escape here is for reading, not for parsing back.
    """
    if _UNSAFE.search(text) is None:  # the common case, at regular-expression speed
        return text
    return _UNSAFE.sub(_escape, text)


#: The password of a URL's userinfo (``//user:password@``), also in a URL that does not parse.
#: Greedy to the last "@" before any query or fragment: a password may hold "@" or "/".
_PASSWORD_IN_URL = re.compile(r"(//[^/@:?#]*):[^?#]*@")


def public_url(url: str) -> str:
    """``url`` with any password in it replaced by ``***`` (messages and logs never show one)."""
    return _PASSWORD_IN_URL.sub(r"\1:***@", url)


def shown_url(url: str) -> str:
    """``url`` as a message may show it: no password, no control characters."""
    return printable(public_url(url))


def url_problem(url: str, error: Exception) -> str:
    """Why ``url`` did not parse, for a message: urllib's words, unless they could quote a
    password (``Port could not be cast to integer value as 'se'``)."""
    return "" if public_url(url) != url else f" ({printable(str(error))})"
