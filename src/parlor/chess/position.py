"""Positions: the board after a move list, and what everyone reads of it, worked out once.

A game's state is its move list (``parlor.chess.game``); the position is a
function of it. Every request needs the position, and every answer reads the
same few things of it, so this module keeps both, and nothing here changes an
answer: it only saves working it out again.

1. **Boards** (``board``): the ``chess.Board`` after a move list, replayed
   from the start. The boards of the move lists seen last are kept
   (``Positions``): a move then costs one push on the board before it, not a
   replay of the game. Each caller gets its own copy, sharing the history's
   ``Move`` objects (``_clone``).
2. **Facts** (``facts``): what an answer reads of a position (``Facts``): the
   FEN, check, the legal moves in UCI, whether a draw may be claimed, and the
   ending the rules impose, if any. The legal moves are generated once, by
   python-chess, and everything that needs them reads that one list: the
   answer's list, checkmate and stalemate, and whether a move sent in UCI is
   legal. (python-chess's ``outcome`` and ``san`` each generate them again.)
3. **FEN** (``fen``) is written from the board's bitboards, exactly as
   python-chess's ``Board.fen()`` writes it (en passant only when a legal
   capture exists), in a fifth of the time: tested against it over random
   games to their end.

Move legality is python-chess's alone; this module only reads its answers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import chess

# -- FEN ------------------------------------------------------------------------------

#: Piece letters in the order ``_board_fen`` visits the bitboards: white's six, black's six.
_LETTERS = "PNBRQKpnbrqk"
#: Runs of empty squares, longest first, as FEN counts them.
_EMPTY_RUNS = tuple(("1" * n, str(n)) for n in range(8, 1, -1))
_CASTLING = ((chess.BB_H1, "K"), (chess.BB_A1, "Q"), (chess.BB_H8, "k"), (chess.BB_A8, "q"))


def _board_fen(position: chess.Board) -> str:
    """The placement field: each piece written onto its square, then the empty runs counted."""
    cells = ["1"] * 64
    black, white = position.occupied_co  # indexed by chess.BLACK (False), chess.WHITE (True)
    kinds = (
        position.pawns,
        position.knights,
        position.bishops,
        position.rooks,
        position.queens,
        position.kings,
    )
    for index, kind in enumerate(kinds):
        for side, letter in ((white, _LETTERS[index]), (black, _LETTERS[index + 6])):
            mask = kind & side
            while mask:
                lowest = mask & -mask
                cells[lowest.bit_length() - 1] = letter
                mask ^= lowest
    placement = "/".join("".join(cells[rank * 8 : rank * 8 + 8]) for rank in range(7, -1, -1))
    for run, count in _EMPTY_RUNS:
        if run in placement:
            placement = placement.replace(run, count)
    return placement


def fen(position: chess.Board) -> str:
    """``position.fen()``, the same text, for standard chess."""
    rights = position.clean_castling_rights()
    castling = "".join(letter for square, letter in _CASTLING if rights & square) or "-"
    passant = position.ep_square
    if passant is not None and not position.has_legal_en_passant():
        passant = None
    return (
        f"{_board_fen(position)} {'w' if position.turn else 'b'} {castling}"
        f" {'-' if passant is None else chess.SQUARE_NAMES[passant]}"
        f" {position.halfmove_clock} {position.fullmove_number}"
    )


# -- facts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Facts:
    """What an answer reads of one position."""

    fen: str
    check: bool
    #: The legal moves, UCI, sorted.
    legal: tuple[str, ...]
    #: A player may claim a draw: fifty moves without a capture or a pawn move, or the
    #: position's third occurrence.
    claimable: bool
    #: The ending the rules impose on this position (``Board.outcome(claim_draw=False)``).
    outcome: chess.Outcome | None


def _uci(move: chess.Move) -> str:
    names = chess.SQUARE_NAMES
    if move.promotion:
        return names[move.from_square] + names[move.to_square] + chess.piece_symbol(move.promotion)
    return names[move.from_square] + names[move.to_square]


def _outcome(
    position: chess.Board, check: bool, any_legal: bool, threefold: bool
) -> chess.Outcome | None:
    """``position.outcome(claim_draw=False)``, its checks in its order, from the legal moves
    already generated and whether the position has occurred three times (a fifth
    occurrence is a third, so python-chess's walk of the history runs again only
    then: at ply 300 each walk costs as much as a push)."""
    if check and not any_legal:
        return chess.Outcome(chess.Termination.CHECKMATE, not position.turn)
    if position.is_insufficient_material():
        return chess.Outcome(chess.Termination.INSUFFICIENT_MATERIAL, None)
    if not any_legal:
        return chess.Outcome(chess.Termination.STALEMATE, None)
    if position.halfmove_clock >= 150:  # is_seventyfive_moves, a legal move known to exist
        return chess.Outcome(chess.Termination.SEVENTYFIVE_MOVES, None)
    if threefold and position.is_fivefold_repetition():
        return chess.Outcome(chess.Termination.FIVEFOLD_REPETITION, None)
    return None


def worked_out(position: chess.Board) -> Facts:
    """The facts of ``position``, the legal moves generated once."""
    legal = tuple(sorted(_uci(move) for move in position.generate_legal_moves()))
    check = position.is_check()
    threefold = position.is_repetition(3)
    return Facts(
        fen=fen(position),
        check=check,
        legal=legal,
        claimable=position.halfmove_clock >= 100 or threefold,
        outcome=_outcome(position, check, bool(legal), threefold),
    )


# -- the memo -------------------------------------------------------------------------


class Positions:
    """The boards, and their facts, after the move lists seen last.

    A memo, not state: a board is a function of its move list, so what is kept
    changes no answer. Requests run on several threads, hence the lock, and
    each caller gets its own copy of a board (``_clone``).
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[str, ...], tuple[chess.Board, Facts | None]] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def _find(self, moves: tuple[str, ...]) -> tuple[chess.Board, Facts | None] | None:
        with self._lock:
            found = self._kept.get(moves)
            if found is not None:
                self._kept.move_to_end(moves)
            return found

    def keep(self, moves: tuple[str, ...], position: chess.Board, known: Facts | None) -> None:
        """Remember ``position`` (a copy: the caller keeps theirs) as the board after ``moves``,
        in place of the board a move before it.

        Keeping both, every move of a game made two entries once the game had
        been replayed, and 200 games in turn (400 entries) pushed each other out
        of a memo of 256 before their next move: every move replayed the game.
        A late reader of the version before gets its board replayed, as it
        would once the memo had moved past it."""
        with self._lock:
            if moves:
                self._kept.pop(moves[:-1], None)
            self._kept[moves] = (_clone(position), known)
            self._kept.move_to_end(moves)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)

    def _replayed(self, moves: tuple[str, ...]) -> chess.Board:
        """The board after ``moves``, kept: one push on the board before it, if that is kept."""
        before = self._find(moves[:-1]) if moves else None
        if before is None:
            position = chess.Board()
            for uci in moves:
                position.push(chess.Move.from_uci(uci))
        else:
            position = _clone(before[0])
            position.push(chess.Move.from_uci(moves[-1]))
        self.keep(moves, position, None)
        return position

    def board(self, moves: tuple[str, ...]) -> chess.Board:
        found = self._find(moves)
        return _clone(found[0]) if found is not None else self._replayed(moves)

    def facts(self, moves: tuple[str, ...]) -> Facts:
        found = self._find(moves)
        if found is not None and found[1] is not None:
            return found[1]
        kept = found[0] if found is not None else None
        # A copy even to read: python-chess's repetition checks pop and push the history.
        known = worked_out(_clone(kept) if kept is not None else self._replayed(moves))
        with self._lock:
            again = self._kept.get(moves)
            if again is not None:  # facts follow from the moves: any board of them has these
                self._kept[moves] = (again[0], known)
        return known


def _clone(position: chess.Board) -> chess.Board:
    """A copy of ``position`` with its history, sharing the history's Move objects.

    ``Board.copy`` copies every Move of the stack one by one, which at ply 300
    costs more than the rest of a request; moves are never changed once
    played, so the lists are copied and the moves shared. (``_stack`` is
    python-chess's list of earlier states, which repetition checks walk.)
    """
    clone = position.copy(stack=False)
    clone.move_stack = position.move_stack.copy()
    clone._stack = position._stack.copy()
    return clone


#: The process's memo (every request thread's).
POSITIONS = Positions()


def legal_moves(position: chess.Board) -> tuple[str, ...]:
    """The legal moves of ``position`` in UCI, sorted."""
    return tuple(sorted(_uci(move) for move in position.generate_legal_moves()))
