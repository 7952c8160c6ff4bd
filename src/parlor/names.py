"""What a player account's username may be, and when two are the same name.

One rule for every door (the web's register form, ``POST /api/v1/accounts``,
the operator's ``parlor accounts create``, the TCP tables' ``USER``):

1. **Normalised.** A name is stored as NFKC (Unicode UAX #15): the full-width
   "ａｌｉｃｅ", the ligature "ﬁ" and "alice" with a combining accent written
   two ways each become one spelling. What the person typed, normalised, is
   the name shown.
2. **Compared without case.** ``key(name)`` is the NFKC casefold (UAX #31 §5):
   "Alice" and "ALICE" are one account, so only one can be registered, and
   either spelling logs in (HTTP Digest alone needs the registered spelling:
   its hash covers the name as sent, RFC 7616 §3.4.2).
3. **Visible.** 2 to 32 characters: letters, combining marks after a letter,
   decimal digits, and ``.``, ``_``, ``-`` between them; it starts with a letter
   or a digit. No spaces (``USER name`` is one word), no ``:`` (HTTP Basic
   splits on it, RFC 7617 §2), no controls, no invisible characters, nothing
   that renders blank (the Hangul fillers are letters by category, and the
   variation selectors and the combining grapheme joiner marks, yet all show
   nothing: Unicode's Default_Ignorable_Code_Point, ``parlor.text``).
4. **One script.** The letters of a name come from one script (Latin, Greek,
   Cyrillic, …), or from one of the mixes UTS #39 §5.2 calls "highly
   restrictive": Latin with Han, Hiragana and Katakana (Japanese), with Han and
   Bopomofo (Chinese) or with Han and Hangul (Korean). So "pаypal" with a
   Cyrillic "а" is refused. Whole-script look-alikes (a name all in Cyrillic
   that reads like a Latin one) pass: telling those apart needs UTS #39's
   confusables table, which the standard library lacks.

``username_problem(value)`` says what is wrong, or None; ``canonical(value)`` is
the stored spelling, ``key(value)`` the comparison key.
"""

from __future__ import annotations

import unicodedata

from parlor.text import DEFAULT_IGNORABLE

MIN_LENGTH = 2
MAX_LENGTH = 32
_PUNCTUATION = frozenset("._-")
#: The script names unicodedata gives (the first word of a character's name)
#: that differ from the script's own name, or that name several scripts.
_SCRIPT_ALIASES = {
    "CJK": "HAN",
    "IDEOGRAPHIC": "HAN",
    "FULLWIDTH": "LATIN",
    "HALFWIDTH": "KATAKANA",
    "KATAKANA-HIRAGANA": "KATAKANA",  # the prolonged sound mark, written in both
}
#: UTS #39 "highly restrictive": the script mixes one language writes in.
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def canonical(value: str) -> str:
    """The stored spelling of a name: its NFKC form."""
    return unicodedata.normalize("NFKC", value)


def key(value: str) -> str:
    """What two names are compared by: NFKC, casefolded, NFKC again (UAX #31 §5)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def script(character: str) -> str:
    """The script of a letter, from its Unicode name ("LATIN SMALL LETTER A" -> "LATIN")."""
    first = unicodedata.name(character, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(first, first)


def username_problem(value: object) -> str | None:
    """Why ``value`` cannot be a username; None when it can (after NFKC)."""
    if not isinstance(value, str):
        return "must be text"
    try:
        value.encode()
    except UnicodeEncodeError:
        return "must be valid text (it holds a lone surrogate)"
    name = canonical(value)
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        return f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long"
    if DEFAULT_IGNORABLE.search(name):
        # Variation selectors, the combining grapheme joiner and their kin are marks by
        # category, but show as nothing: "alice" with one is another "alice".
        return "must not hold characters that show as nothing"
    scripts: set[str] = set()
    previous = ""
    for character in name:
        category = unicodedata.category(character)
        if category.startswith("L"):
            scripts.add(script(character))
        elif category.startswith("M"):
            if not previous or not unicodedata.category(previous).startswith(("L", "M")):
                return "may have an accent only on a letter"
        elif category == "Nd":
            pass
        elif character in _PUNCTUATION:
            if not previous or previous in _PUNCTUATION:
                return "may use '.', '_' and '-' only between letters or digits"
        else:
            shown = character if character.isprintable() and not character.isspace() else ""
            what = f"{shown!r} " if shown else ""
            return (
                f"may hold only letters, digits and '.', '_', '-' (not {what}"
                f"U+{ord(character):04X})"
            )
        previous = character
    if name[-1] in _PUNCTUATION:
        return "must end with a letter or a digit"
    if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES):
        return (
            "must not mix letters of different scripts ("
            + ", ".join(sorted(s.title() for s in scripts))
            + "): mixed names can imitate others"
        )
    return None
