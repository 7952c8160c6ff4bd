"""The chess rules as values: every rule of parlor.chess.game's docstring, from positions."""

from __future__ import annotations

import io

import chess
import chess.pgn
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlor.chess import game as rules
from parlor.chess.errors import GameNotActive, IllegalMove, NotAllowed, NotYourTurn, StalePly
from parlor.chess.game import Clock, Color, Status, Termination

W, B = Color.WHITE, Color.BLACK
FOOLS_MATE = ["f2f3", "e7e5", "g2g4", "d8h4"]


def active(clock: Clock | None = None, now: float = 0.0) -> rules.Game:
    return rules.join(rules.new_game(clock), now)


def play(game: rules.Game, *texts: str, now: float = 0.0) -> rules.Game:
    for text in texts:
        game = rules.move(game, game.turn, text, game.ply, now)
    return game


def test_a_game_waits_for_its_second_player_then_is_active() -> None:
    waiting = rules.new_game()
    assert waiting.status is Status.WAITING
    with pytest.raises(GameNotActive, match="waiting"):
        rules.move(waiting, W, "e2e4", 0, 0.0)
    game = rules.join(waiting, 0.0)
    assert game.status is Status.ACTIVE
    with pytest.raises(NotAllowed):
        rules.join(game, 0.0)


@pytest.mark.parametrize("text", ["e2e4", "e4", " e4 "])
def test_uci_and_san_are_one_move(text: str) -> None:
    assert play(active(), text).moves == ("e2e4",)


@pytest.mark.parametrize("spelling", ["e1g1", "e1h1", "O-O", "0-0"])
def test_castling_in_every_spelling(spelling: str) -> None:
    game = play(active(), "e2e4", "e7e5", "g1f3", "b8c6", "f1c4", "g8f6")
    assert play(game, spelling).moves[-1] == "e1g1"


@pytest.mark.parametrize(
    "text", ["0000", "--", "e2e5", "Ke2", "", "x" * 40, "e7e5", "zz", 17, None, "e2e4e"]
)
def test_null_illegal_and_unreadable_moves_are_refused_with_the_legal_ones(text: object) -> None:
    game = active()
    with pytest.raises(IllegalMove) as refused:
        rules.move(game, W, text, 0, 0.0)
    assert "e2e4" in refused.value.legal
    assert len(refused.value.legal) == 20


def test_a_promotion_must_name_its_piece() -> None:
    # White's pawn walks to the seventh and takes on b8: "a7b8" and "axb8" name no piece.
    game = play(active(), "a2a4", "b7b5", "a4b5", "a7a6", "b5a6", "c8b7", "a6a7", "b7c6")
    for unnamed in ("a7b8", "axb8", "a8"):
        with pytest.raises(IllegalMove):
            rules.move(game, W, unnamed, game.ply, 0.0)
    assert play(game, "axb8=N").moves[-1] == "a7b8n"
    assert play(game, "a7b8q").moves[-1] == "a7b8q"


def test_turn_and_ply_are_checked_before_the_move() -> None:
    game = active()
    with pytest.raises(NotYourTurn):
        rules.move(game, B, "e7e5", 0, 0.0)
    game = play(game, "e2e4")
    with pytest.raises(StalePly, match="ply 1, not 0"):
        rules.move(game, B, "e7e5", 0, 0.0)
    with pytest.raises(StalePly):
        rules.move(game, B, "e7e5", True, 0.0)


@pytest.mark.parametrize(
    ("moves", "termination", "result"),
    [
        (FOOLS_MATE, Termination.CHECKMATE, "0-1"),
        # Sam Loyd's ten-move stalemate.
        (["e2e3", "a7a5", "d1h5", "a8a6", "h5a5", "h7h5", "h2h4", "a6h6", "a5c7", "f7f6",
          "c7d7", "e8f7", "d7b7", "d8d3", "b7b8", "d3h7", "b8c8", "f7g6", "c8e6"],
         Termination.STALEMATE, "1/2-1/2"),
    ],
)  # fmt: skip
def test_the_game_ends_by_itself(moves: list[str], termination: Termination, result: str) -> None:
    game = play(active(), *moves)
    assert (game.status, game.termination, game.result) == (Status.OVER, termination, result)
    with pytest.raises(GameNotActive, match="over"):
        rules.move(game, game.turn, "a2a3", game.ply, 0.0)


def test_fivefold_repetition_ends_it_and_threefold_may_be_claimed() -> None:
    knights = ["g1f3", "g8f6", "f3g1", "f6g8"]
    game = play(active(), *knights)  # the start position, twice
    with pytest.raises(NotAllowed, match="no draw can be claimed"):
        rules.claim_draw(game, W, 0.0)
    game = play(game, *knights)  # three times: claimable, not automatic
    assert game.status is Status.ACTIVE
    claimed = rules.claim_draw(game, B, 0.0)
    assert (claimed.termination, claimed.result) == (Termination.THREEFOLD_REPETITION, "1/2-1/2")
    game = play(game, *knights, *knights)  # five times: over by itself
    assert game.termination is Termination.FIVEFOLD_REPETITION
    # A FEN alone would have lost this: replaying the moves is what counts repetitions.
    assert rules.board(game).is_fivefold_repetition()


def quiet_walk(plies: int, seed: int) -> list[str]:
    """``plies`` moves from the start with no capture, no pawn move and no position seen
    twice: knights and then rooks and kings wander (a random walk, retried until it works)."""
    import random

    chooser = random.Random(seed)
    position = chess.Board()
    seen = {position._transposition_key(): 1}
    walk: list[str] = []
    while len(walk) < plies:
        options = [
            m
            for m in position.legal_moves
            if not position.is_capture(m) and position.piece_type_at(m.from_square) != chess.PAWN
        ]
        chooser.shuffle(options)
        for option in options:
            position.push(option)
            key = position._transposition_key()
            if key not in seen and position.outcome() is None:
                seen[key] = 1
                walk.append(option.uci())
                break
            position.pop()
        else:
            raise LookupError("walked into a corner")
    return walk


def test_the_fifty_move_rule_may_be_claimed() -> None:
    for seed in range(50):
        try:
            walk = quiet_walk(100, seed)
            break
        except LookupError:
            continue
    game = play(active(), *walk[:99])
    with pytest.raises(NotAllowed):  # 99 quiet half-moves: not yet fifty moves
        rules.claim_draw(game, game.turn, 0.0)
    game = play(game, walk[99])
    assert game.status is Status.ACTIVE  # fifty moves are claimed, never automatic
    claimed = rules.claim_draw(game, game.turn, 0.0)
    assert (claimed.termination, claimed.result) == (Termination.FIFTY_MOVES, "1/2-1/2")


def test_a_draw_offer_is_accepted_declined_or_lapses() -> None:
    game = play(active(), "e2e4")
    offered = rules.offer_draw(game, W, 0.0)
    assert offered.draw_offer is W
    with pytest.raises(NotAllowed, match="offered a draw already"):
        rules.offer_draw(offered, W, 0.0)
    with pytest.raises(NotAllowed, match="no draw offer"):
        rules.accept_draw(offered, W, 0.0)  # not one's own
    agreed = rules.accept_draw(offered, B, 0.0)
    assert (agreed.termination, agreed.result) == (Termination.AGREEMENT, "1/2-1/2")
    assert rules.decline_draw(offered, B, 0.0).draw_offer is None
    lapsed = play(offered, "e7e5")  # the offerer's opponent moved instead
    assert lapsed.draw_offer is None
    with pytest.raises(NotAllowed):
        rules.accept_draw(lapsed, B, 0.0)
    waits = rules.offer_draw(play(game, "e7e5"), B, 0.0)
    assert play(waits, "g1f3").draw_offer is None  # white moved: black's offer lapsed


def test_resigning_and_aborting() -> None:
    game = play(active(), "e2e4")
    resigned = rules.resign(game, W, 0.0)
    assert (resigned.result, resigned.winner) == ("0-1", B)
    aborted = rules.abort(game, B, 0.0)
    assert (aborted.status, aborted.result, aborted.termination) == (
        Status.OVER, "*", Termination.ABORTED
    )  # fmt: skip
    assert rules.abort(rules.new_game(), W, 0.0).termination is Termination.ABORTED
    with pytest.raises(NotAllowed, match="before its second move"):
        rules.abort(play(game, "e7e5"), W, 0.0)
    with pytest.raises(GameNotActive):
        rules.resign(resigned, B, 0.0)


def test_the_clock_runs_for_the_side_to_move_with_its_increment() -> None:
    game = active(Clock(60, 2), now=100.0)
    game = rules.move(game, W, "e2e4", 0, now=110.0)  # white thought 10 s, earned 2
    assert game.remaining == (52.0, 60.0)
    game = rules.move(game, B, "e7e5", 1, now=130.0)
    assert game.remaining == (52.0, 42.0)
    assert rules.at(game, now=181.9).status is Status.ACTIVE
    flagged = rules.at(game, now=182.0)  # white's 52 s are gone: the flag falls on a read
    assert (flagged.termination, flagged.result) == (Termination.OUT_OF_TIME, "0-1")
    with pytest.raises(GameNotActive):
        rules.move(game, W, "g1f3", 2, now=200.0)  # ...or on the next move


def test_pgn_has_the_result_and_termination() -> None:
    mated = play(active(Clock(300, 3)), *FOOLS_MATE)
    text = rules.pgn(mated, white="alice", black="bob")
    record = chess.pgn.read_game(io.StringIO(text))
    assert record is not None
    assert record.headers["Result"] == "0-1"
    assert record.headers["Termination"] == "normal"
    assert record.headers["TimeControl"] == "300+3"
    assert [m.uci() for m in record.mainline_moves()] == FOOLS_MATE
    resigned = rules.pgn(rules.resign(play(active(), "e2e4"), B, 0.0))
    assert '[Result "1-0"]' in resigned
    assert "black resigned" in resigned
    agreed = rules.pgn(rules.accept_draw(rules.offer_draw(active(), W, 0.0), B, 0.0))
    assert '[Result "1/2-1/2"]' in agreed
    assert "agreed a draw" in agreed
    assert '[Result "*"]' in rules.pgn(active())


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_random_game_replays_to_the_same_position(data: st.DataObject) -> None:
    game = active()
    for _ in range(data.draw(st.integers(0, 60))):
        if game.status is not Status.ACTIVE:
            break
        legal = rules.facts(game).legal
        choice = data.draw(st.sampled_from(legal))
        san = rules.board(game).san(chess.Move.from_uci(choice))
        game = rules.move(game, game.turn, data.draw(st.sampled_from([choice, san])), game.ply, 0.0)
    replayed = rules.replayed(game.moves) if game.status is Status.ACTIVE else game
    assert rules.board(replayed).fen() == rules.board(game).fen()
    assert rules.board(game).move_stack == [chess.Move.from_uci(u) for u in game.moves]


@pytest.mark.parametrize(
    ("initial", "increment"), [(0, 0), (0.5, 0), (86_401, 0), (60, -1), (60, 3601)]
)
def test_a_clock_out_of_bounds_is_refused(initial: float, increment: float) -> None:
    with pytest.raises(ValueError, match="a clock is"):
        Clock(initial, increment)


def test_offers_and_answers_out_of_turn_are_refused() -> None:
    offered = rules.offer_draw(active(), W, 0.0)
    with pytest.raises(NotAllowed, match="accept or decline it"):
        rules.offer_draw(offered, B, 0.0)
    with pytest.raises(NotAllowed, match="no draw offer"):
        rules.decline_draw(active(), B, 0.0)
    with pytest.raises(GameNotActive):
        rules.abort(rules.resign(active(), W, 0.0), B, 0.0)


def test_a_flag_against_a_bare_king_is_a_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    """FIDE 6.9: out of time is a loss, unless the other side cannot mate at all."""
    game = active(Clock(10), now=0.0)
    assert rules.at(game, 11.0).result == "0-1"  # black has all its pieces: it wins
    # The position as if the game had come down to white's queen against black's lone king.
    monkeypatch.setattr(rules, "board", lambda _: chess.Board("4k3/8/8/8/8/8/8/3QK3 w - - 0 60"))
    drawn = rules.at(game, 11.0)
    assert (drawn.result, drawn.termination) == ("1/2-1/2", Termination.OUT_OF_TIME)
