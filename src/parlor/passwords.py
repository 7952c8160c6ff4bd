"""What a password must be, and how it is kept: argon2id, never in clear.

The policy follows NIST SP 800-63B §3.1.1.2 rather than composition rules:

- at least ``MIN_LENGTH`` characters (counted as RFC 8265's OpaqueString
  prepares them, which RFC 7616 §4 asks Digest clients to do too: every
  non-ASCII space becomes U+0020, then NFC), at most ``MAX_LENGTH`` (so one
  login cannot ask for unbounded hashing work);
- not one of the passwords attackers try first (``COMMON``), not the
  username, not the username with a digit or two, and not one character over
  and over;
- any other printable text is fine, spaces and every script included; no
  control characters (they cannot be typed the same way twice).

``password_problem(password, username)`` gives the reason a password is weak,
for the person to read (a 422 on the API, a message beside the form field).

A password is stored as an argon2id hash (RFC 9106) from argon2-cffi, which
salts it and records its own parameters, so stronger parameters later still
verify old hashes (``needs_rehash`` says when to store it again). The web and
REST also need HTTP Digest, whose secret is H(username:realm:password): see
``parlor.wsgi.digest`` and docs/security.md for what keeping it trades.
"""

from __future__ import annotations

import re
import unicodedata

import argon2

MIN_LENGTH = 10
MAX_LENGTH = 256

#: Among the most used passwords of the public breach corpora (and their
#: obvious cousins); all 10 characters or longer, since shorter ones fail anyway.
COMMON = frozenset(
    (
        "1234567890",
        "0123456789",
        "0987654321",
        "1111111111",
        "1234512345",
        "12345678910",
        "123456789a",
        "a123456789",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "qwertyuiop1",
        "asdfghjkl1",
        "zxcvbnm123",
        "password12",
        "password123",
        "password1234",
        "passw0rd12",
        "iloveyou12",
        "letmein123",
        "welcome123",
        "football12",
        "baseball12",
        "princess12",
        "sunshine12",
        "qwerty1234",
        "qwerty12345",
        "abcdefghij",
        "abc1234567",
        "aaaaaaaaaa",
        "monkey1234",
        "dragon1234",
        "master1234",
        "superman12",
        "trustno1234",
        "starwars12",
        "administrator",
        "changeme123",
        "roulette123",
        "parlor1234",
        "casino1234",
        "password!!",
    )
)

_REPEATED = re.compile(r"^(.)\1*$", re.DOTALL)


def normalized(password: str) -> str:
    """The password as it is hashed: RFC 8265 OpaqueString (spaces mapped, then NFC)."""
    spaced = "".join(" " if c.isspace() and not c.isascii() else c for c in password)
    return unicodedata.normalize("NFC", spaced)


def password_problem(password: object, username: str = "") -> str | None:
    """Why ``password`` is too weak or not a password; None when it will do."""
    if not isinstance(password, str):
        return "must be text"
    try:
        password.encode()
    except UnicodeEncodeError:
        return "must be valid text (it holds a lone surrogate)"
    text = normalized(password)
    if len(text) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long; a few words make a good one"
    if len(text) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    if any(unicodedata.category(c) == "Cc" for c in text):
        return "must not contain control characters"
    folded = text.casefold()
    if _REPEATED.match(folded):
        return "must not be one character repeated"
    if folded in COMMON or folded.rstrip("0123456789!") in COMMON:
        return "is one of the first passwords attackers try: choose another"
    name = username.casefold()
    if name and (folded == name or folded.rstrip("0123456789!") == name):
        return "must not be your username"
    return None


def new_hasher(*, fast: bool = False) -> argon2.PasswordHasher:
    """argon2id with RFC 9106's second recommended profile; ``fast`` for tests only."""
    if fast:
        return argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return argon2.PasswordHasher.from_parameters(argon2.profiles.RFC_9106_LOW_MEMORY)


def verify(hasher: argon2.PasswordHasher, stored_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``stored_hash`` was made from (never raises)."""
    try:
        return hasher.verify(stored_hash, normalized(password))
    except argon2.exceptions.VerificationError:
        return False
    except argon2.exceptions.InvalidHashError:
        return False
