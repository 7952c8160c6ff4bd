"""Text from a peer, made safe to print: a hostile server must not drive the user's terminal.

:func:`shown` replaces every C0 and C1 control character and DEL (ESC starts the sequences
that move the cursor, retitle the window or rewrite the screen; CR overwrites a line) with a
visible Python-style escape (``\\x1b``), and leaves all other text, Unicode included, as it is.
A backslash is doubled, so ``shown`` is reversible and an escape a peer sends cannot pass for
one this function made.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    return "\\\\" if character == "\\" else f"\\x{ord(character):02x}"


def shown(text: str) -> str:
    """``text`` with controls and backslashes escaped, as described above."""
    return _CONTROLS.sub(_escape, text)
