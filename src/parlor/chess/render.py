"""A chess position as text for a terminal, from one player's side. Pure: no I/O.

``draw(board, side)`` writes the board with rank numbers down the left and
file letters underneath, seen from ``side`` (black's view turns it round),
with Unicode pieces, or letters with ``ascii=True`` (white upper case, black
lower, ``.`` an empty square) for terminals and fonts without the glyphs.
The squares of the last move are bracketed, so a player sees at a glance
what the opponent just did.
"""

from __future__ import annotations

import chess

from parlor.chess.game import Color


def draw(board: chess.Board, side: Color = Color.WHITE, *, ascii: bool = False) -> str:
    """The board as lines of text, ``side`` at the bottom."""
    last = board.move_stack[-1] if board.move_stack else None
    marked = set() if last is None else {last.from_square, last.to_square}
    ranks = range(7, -1, -1) if side is Color.WHITE else range(8)
    files = range(8) if side is Color.WHITE else range(7, -1, -1)
    lines = []
    for rank in ranks:
        cells = []
        for file in files:
            square = chess.square(file, rank)
            piece = board.piece_at(square)
            if piece is None:
                glyph = "." if ascii else "·"
            else:
                glyph = piece.symbol() if ascii else piece.unicode_symbol()
            cells.append(f"[{glyph}]" if square in marked else f" {glyph} ")
        lines.append(f"{rank + 1} " + "".join(cells))
    lines.append("  " + "".join(f" {chess.FILE_NAMES[file]} " for file in files))
    return "\n".join(lines)


def san_list(board: chess.Board) -> str:
    """The moves that led to ``board``, numbered as a score sheet: ``1. e4 e5 2. Nf3``."""
    return chess.Board().variation_san(board.move_stack) if board.move_stack else ""
