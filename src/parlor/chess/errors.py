"""The chess rules' exceptions: every refused operation raises one and changes nothing.

::

    ChessError
    ├── IllegalMove       not a legal move of the position (``legal`` lists those that are)
    ├── NotYourTurn       the other player is to move
    ├── StalePly          the move was chosen in a position that is no longer the game's
    ├── GameNotActive     the game is waiting for its second player, or over
    └── NotAllowed        a draw offer, claim, abort or seat the game does not allow now

Front doors map these by class: the REST service answers 422 for an illegal
move (with the legal moves) and 409 for the rest.
"""

from __future__ import annotations


class ChessError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalMove(ChessError):
    def __init__(self, message: str, legal: tuple[str, ...]) -> None:
        super().__init__(message)
        #: The legal moves of the position, in UCI.
        self.legal = legal


class NotYourTurn(ChessError):
    pass


class StalePly(ChessError):
    pass


class GameNotActive(ChessError):
    pass


class NotAllowed(ChessError):
    pass
