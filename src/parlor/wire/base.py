"""The two kinds of body every wire module builds on."""

from __future__ import annotations

from msgspec import Struct


class Answer(Struct, frozen=True, kw_only=True):
    """Base of every answer: immutable, and a client reads members it does not know past."""


class Request(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: strict, so a misspelt member is an error, not a default."""


class NoFields(Request, frozen=True):
    """A body with no members (it may be empty or absent)."""
