"""The chess pages' forms, checked as pure functions: fields in, an order or ``FormInvalid``.

As in ``forms.py``: a message per field, worded for the person at the form,
and the values worth showing again. What passes may still be refused by the
service (an illegal move, a stale page), and ``chess.py`` puts those
refusals beside the same fields.

New game: ``color`` (white, black or random), an optional clock as
``minutes`` and ``increment`` (seconds), and for a guest an optional
``name``. Move: ``move`` (UCI or SAN) and ``ply``, the half-moves of the
position the page showed, so a move chosen on a stale page is refused by the
service rather than played in a position nobody saw.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from parlor.chess.game import MAX_MOVE_TEXT
from parlor.text import line_problem
from parlor.web.forms import FormInvalid, echo
from parlor.wire.chess import MAX_LEVEL, MAX_PLAYER_NAME, MIN_LEVEL, ColorChoice

COLORS: tuple[ColorChoice, ...] = ("white", "black", "random")
MAX_MINUTES = 1440
MAX_INCREMENT = 3600
_MAX_PLY_DIGITS = 6


@dataclass(frozen=True, slots=True)
class NewGame:
    color: ColorChoice
    #: (initial seconds, increment seconds), or None for an untimed game.
    clock: tuple[float, float] | None
    name: str | None
    #: The computer's skill level, when the player chose to play it.
    computer: int | None = None


@dataclass(frozen=True, slots=True)
class MoveOrder:
    move: str
    ply: int


def _whole(text: str, low: int, high: int, what: str) -> int:
    """A whole number within [low, high]; ValueError says why in the form's words."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        raise ValueError(f"{what} must be a whole number, like {low + 1}.")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{what} must be from {low} to {high:,}.")
    return value


def _field_number(
    fields: Mapping[str, str], errors: dict[str, str], field: str, low: int, high: int, what: str
) -> int:
    """A whole-number field, its problem (if any) recorded in ``errors``."""
    try:
        return _whole(fields.get(field, "").strip() or str(low), low, high, what)
    except ValueError as error:
        errors[field] = str(error)
        return low


def read_clock(fields: Mapping[str, str], errors: dict[str, str]) -> tuple[float, float] | None:
    """The optional clock: minutes each, plus an increment; both empty is an untimed game."""
    if not fields.get("minutes", "").strip():
        if fields.get("increment", "").strip():
            errors["minutes"] = "Give the minutes too, or leave both empty for no clock."
        return None
    minutes = _field_number(fields, errors, "minutes", 1, MAX_MINUTES, "The minutes")
    increment = _field_number(fields, errors, "increment", 0, MAX_INCREMENT, "The increment")
    return (minutes * 60.0, float(increment))


def read_new_game(fields: Mapping[str, str], *, signed_in: bool) -> NewGame:
    """The new-game form, or ``FormInvalid``; a signed-in player plays under their account."""
    errors: dict[str, str] = {}
    color = fields.get("color", "").strip().lower()
    chosen: ColorChoice = "white"
    if color not in COLORS:
        errors["color"] = "Pick white, black or a random side."
    else:
        chosen = COLORS[COLORS.index(color)]
    clock = read_clock(fields, errors)
    name = None if signed_in else read_name(fields, errors)
    computer = None
    if fields.get("opponent", "person") == "computer":
        computer = _field_number(fields, errors, "level", MIN_LEVEL, MAX_LEVEL, "The level")
    elif fields.get("opponent", "person") != "person":
        errors["opponent"] = "Play a person or the computer."
    if errors:
        values = echo(fields, "color", "minutes", "increment", "name", "opponent", "level")
        raise FormInvalid(errors, values)
    return NewGame(chosen, clock, name, computer)


def read_name(fields: Mapping[str, str], errors: dict[str, str]) -> str | None:
    """A guest's optional name, by the house's rule for a line of text (``parlor.text``)."""
    name = fields.get("name", "").strip()
    if not name:
        return None
    if len(name) > MAX_PLAYER_NAME:
        errors["name"] = f"Use at most {MAX_PLAYER_NAME} characters."
    elif line_problem(name, MAX_PLAYER_NAME) is not None:
        errors["name"] = "The name cannot hold control or invisible characters."
    return name


def read_move(fields: Mapping[str, str]) -> MoveOrder:
    """The move form: a short move text and the page's ply (which the page, not a person, wrote)."""
    text = fields.get("move", "").strip()
    ply = fields.get("ply", "").strip()
    problem = None
    if not text:
        problem = "Enter a move, like e4, Nf3 or e7e8q."
    elif len(text) > MAX_MOVE_TEXT:
        problem = "A move is a few characters, like e4, Nf3, O-O or e7e8q."
    elif not (ply.isascii() and ply.isdigit() and len(ply) <= _MAX_PLY_DIGITS):
        problem = "This form lost its place in the game: here is the board now; move again."
    if problem is not None:
        raise FormInvalid({"move": problem}, echo(fields, "move"))
    return MoveOrder(text, int(ply))


def move_key(csrf: str, game_id: str, order: MoveOrder) -> str:
    """The move's Idempotency-Key: one per visit, game, position and move.

    The same form sent twice (a double click, a resubmitted page) is one
    move: the service answers the second with the game, instead of a
    refusal for a move out of turn.
    """
    message = f"{game_id}:{order.ply}:{order.move}".encode()
    digest = hmac.new(csrf.encode(), message, hashlib.sha256).digest()
    return "web:" + base64.urlsafe_b64encode(digest[:18]).decode()
