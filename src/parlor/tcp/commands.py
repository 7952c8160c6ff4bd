"""The tables protocol's commands: one table, from which ``HELP`` and every syntax reply are made.

Each ``Spec`` names a verb (at most four letters), its arguments as ``HELP``
writes them, how many it takes, what it does, and what must come first
(``Needs``). The server refuses a command sent with the wrong number of
arguments with ``501`` and its syntax, and one sent out of order with ``503``
and what to do first, before any handler runs; docs/protocol.md's table is
this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Needs(Enum):
    """What a command needs done before it."""

    NOTHING = "nothing"
    LOGIN = "login"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class Spec:
    verb: str
    #: The arguments as HELP writes them: ``amount proposition [numbers...]``.
    arguments: str
    #: The fewest and the most arguments (None: no most; the rest is text, as CHAT's).
    least: int
    most: int | None
    summary: str
    needs: Needs = Needs.NOTHING
    #: The handler takes the rest of the line as sent (a password's or a chat line's
    #: spaces are part of it), not the words.
    raw: bool = False

    @property
    def syntax(self) -> str:
        return f"{self.verb} {self.arguments}".rstrip()

    def fits(self, count: int) -> bool:
        return self.least <= count and (self.most is None or count <= self.most)


_SPECS = (
    Spec("HELP", "[command]", 0, 1, "the commands, or one command's syntax"),
    Spec("USER", "name [resume-token]", 1, 2, "who you are; a token from before resumes"),
    Spec("PASS", "password", 1, None, "the password of the account USER named", raw=True),
    Spec("TABL", "", 0, 0, "the tables: wheels, seats, betting windows"),
    Spec("JOIN", "table", 1, 1, "sit at a table", Needs.LOGIN),
    Spec("LEAV", "", 0, 0, "stand up (open bets stay in the round)", Needs.TABLE),
    Spec(
        "BET",
        "amount proposition [numbers...]",
        2,
        8,
        "bet for this round: BET 10 red, BET 5 split 17 20",
        Needs.TABLE,
    ),
    Spec("BETS", "", 0, 0, "your open bets", Needs.LOGIN),
    Spec("WDRW", "n", 1, 1, "withdraw open bet n while betting is open", Needs.TABLE),
    Spec("SPIN", "", 0, 0, "open the betting window; the wheel spins when it closes", Needs.TABLE),
    Spec("STAT", "", 0, 0, "the table's state and yours", Needs.LOGIN),
    Spec("LAST", "[n]", 0, 1, "the table's last n results (10)", Needs.TABLE),
    Spec("CHAT", "text", 1, None, "say something to the table", Needs.TABLE, raw=True),
    Spec("WHO", "", 0, 0, "who sits at your table", Needs.TABLE),
    Spec("CRED", "", 0, 0, "your chips", Needs.LOGIN),
    Spec("NOOP", "", 0, 0, "nothing (200)"),
    Spec("QUIT", "", 0, 0, "goodbye"),
)

#: Every command, by verb.
COMMANDS: dict[str, Spec] = {spec.verb: spec for spec in _SPECS}


def help_lines(verb: str | None = None) -> tuple[str, ...] | None:
    """HELP's lines: every command, or one (None when there is no such command)."""
    if verb is not None:
        spec = COMMANDS.get(verb.upper())
        if spec is None:
            return None
        return (f"{spec.syntax}", spec.summary)
    width = max(len(spec.syntax) for spec in _SPECS)
    return (
        "commands (any case; arguments separated by spaces):",
        *(f"{spec.syntax:<{width}}  {spec.summary}" for spec in _SPECS),
        "end",
    )
