"""What a line of text a player chooses (a name, a client seed) may hold: one rule for every door.

A line is 1 to ``max_length`` characters, with no control or invisible
formatting characters anywhere (C0/C1 controls, zero-width and bidirectional
marks, line separators, the byte-order mark; lone surrogates, which no JSON
parser here lets through and no regular expression engine can name) and no space at
either end. It is not trimmed: what a client sends is what is stored, or it is
refused and the message says why.

``LINE_PATTERN`` is the same rule as a regular expression in the common subset
of Python's ``re`` and ECMA-262, so the OpenAPI document states exactly what
the house accepts (``parlor.wire``), and ``line_problem`` is the house's check.
"""

from __future__ import annotations

import re

# Characters no line may hold: Cc controls, and the Cf/Zl/Zp characters that
# change how text around them displays without showing themselves.
_INVISIBLE = (
    "\\x00-\\x1f\\x7f-\\x9f\\xad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e"
    "\\u2060-\\u206f\\ufeff\\ufff9-\\ufffb"
)
# ... and those that may not begin or end one: spaces of every width.
_SPACE = "\\x20\\xa0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000"

LINE_PATTERN = f"^[^{_INVISIBLE}{_SPACE}](?:[^{_INVISIBLE}]*[^{_INVISIBLE}{_SPACE}])?$"
_LINE = re.compile(LINE_PATTERN)
_INVISIBLE_CHARACTER = re.compile(f"[{_INVISIBLE}]")


#: Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters a
#: renderer shows as nothing. The standard library has no table of them.
DEFAULT_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


def line_problem(value: object, max_length: int) -> str | None:
    """Why ``value`` is not a line of at most ``max_length`` characters; None when it is."""
    if not isinstance(value, str):
        return "must be text"
    if not value:
        return "must not be empty"
    if len(value) > max_length:
        return f"must be at most {max_length} characters"
    if _LINE.fullmatch(value) is None or not _encodable(value):
        if _INVISIBLE_CHARACTER.search(value) or not _encodable(value):
            return "must not contain control or invisible characters"
        return "must not begin or end with a space"
    return None


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True
