"""The positions memo and its facts say exactly what python-chess says, at every ply of random
games played to their end (mates, stalemates, bare kings, fifty and seventy-five move runs,
repetitions, promotions, castling and en passant all turn up in random play)."""

from __future__ import annotations

import random

import chess
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlor.chess import position


def _random_game(seed: int, *, limit: int = 400) -> list[chess.Board]:
    """Every position of one random game, to its end (claims aside) or ``limit`` plies."""
    rng = random.Random(seed)
    board = chess.Board()
    seen = [board.copy()]
    while board.outcome(claim_draw=False) is None and len(seen) <= limit:
        board.push(rng.choice(list(board.legal_moves)))
        seen.append(board.copy())
    return seen


def _expected(board: chess.Board) -> position.Facts:
    return position.Facts(
        fen=board.fen(),
        check=board.is_check(),
        legal=tuple(sorted(move.uci() for move in board.legal_moves)),
        # As claim_draw rules: a claim on the board as it stands, not after a move.
        claimable=board.halfmove_clock >= 100 or board.is_repetition(3),
        outcome=board.outcome(claim_draw=False),
    )


@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_facts_are_python_chess_answers_at_every_ply(seed: int) -> None:
    for board in _random_game(seed):
        assert position.worked_out(board.copy()) == _expected(board)


def test_positions_with_a_legal_en_passant_and_without() -> None:
    board = chess.Board()
    for uci in ("e2e4", "a7a6", "e4e5", "d7d5"):  # exd6 is legal: the FEN names d6
        board.push_uci(uci)
    assert position.fen(board) == board.fen()
    assert " d6 " in board.fen()
    board = chess.Board()
    board.push_uci("e2e4")  # no black pawn can take: python-chess writes "-"
    assert position.fen(board) == board.fen()
    assert " - " in board.fen()


def test_the_endings_are_python_chess_endings() -> None:
    endings = {
        "checkmate": "rnb1kbnr/pppp1ppp/8/4p3/6Pq/5P2/PPPPP2P/RNBQKBNR w KQkq - 1 3",
        "stalemate": "7k/5Q2/6K1/8/8/8/8/8 b - - 0 1",
        "insufficient": "8/8/4k3/8/8/3K4/8/8 w - - 0 1",
        "seventyfive": "8/8/4k3/8/2R5/3K4/8/8 w - - 150 120",
    }
    for name, fen in endings.items():
        board = chess.Board(fen)
        facts = position.worked_out(board.copy())
        assert facts.outcome == board.outcome(claim_draw=False) is not None, name
        assert facts.fen == fen


def test_a_board_from_the_memo_is_the_callers_own() -> None:
    memo = position.Positions(size=4)
    moves = ("e2e4", "e7e5")
    mine = memo.board(moves)
    mine.push_uci("g1f3")
    assert (
        memo.board(moves).fen()
        == chess.Board("rnbqkbnr/pppp1ppp/8/4p3/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 2").fen()
    )
    assert memo.facts(moves).legal == tuple(sorted(m.uci() for m in memo.board(moves).legal_moves))


@pytest.mark.parametrize("size", [1, 3])
def test_the_memo_forgets_the_oldest_and_answers_the_same(size: int) -> None:
    memo = position.Positions(size=size)
    games = [tuple(m.uci() for m in _random_game(seed, limit=12)[-1].move_stack) for seed in (1, 2)]
    first = [memo.facts(game) for game in games]
    memo.clear()
    assert [memo.facts(game) for game in reversed(games)] == first[::-1]


def test_games_moving_in_turn_cost_a_push_each_not_a_replay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As many games as the memo holds, each moving in turn (as a busy server sees them):
    after each game's first sight, a move is one push on its kept board. (Keeping the
    board before a move beside the board after it, two entries per game pushed each
    other out, and every move replayed its game.)"""
    games = [[m.uci() for m in _random_game(seed, limit=30)[-1].move_stack] for seed in (4, 5, 6)]
    assert all(len(game) >= 20 for game in games)
    memo = position.Positions(size=len(games))
    pushes = 0
    push = chess.Board.push

    def counted(board: chess.Board, move: chess.Move) -> None:
        nonlocal pushes
        pushes += 1
        push(board, move)

    monkeypatch.setattr(chess.Board, "push", counted)
    for ply in range(10, 20):
        for game in games:
            board = memo.board(tuple(game[:ply]))
            board.push(chess.Move.from_uci(game[ply]))
            memo.keep(tuple(game[: ply + 1]), board, None)
    first_sight = 10 * len(games)  # each game replayed once, from the start to ply 10
    assert pushes == first_sight + 10 * len(games)
