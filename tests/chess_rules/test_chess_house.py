"""The chess house on both engines: seats, tokens, moves, flags, and moves that race."""

from __future__ import annotations

import threading

import pytest

from parlor.chess.errors import ChessError, IllegalMove, NotAllowed, NotYourTurn, StalePly
from parlor.chess.game import Clock, Color, Status, Termination
from parlor.house.chess import ChessHouse, NotAPlayer, UnknownGame
from parlor.house.errors import HouseError
from parlor.store.db import Database


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def house(db: Database) -> ChessHouse:
    return ChessHouse(db)


def test_two_seats_then_no_third(house: ChessHouse) -> None:
    state, white = house.create("white")
    assert (state.game.status, state.seated, white.color) == (
        Status.WAITING,
        (True, False),
        Color.WHITE,
    )
    joined, black = house.join(state.id)
    assert (joined.game.status, joined.seated, black.color) == (
        Status.ACTIVE,
        (True, True),
        Color.BLACK,
    )
    assert joined.version == state.version + 1
    with pytest.raises(NotAllowed, match="both seats"):
        house.join(state.id)
    assert len(white.token) >= 32  # 192 bits, urlsafe


def test_a_random_color_is_the_houses_choice(db: Database) -> None:
    house = ChessHouse(db, choose=lambda colors: colors[-1])
    state, seat = house.create("random")
    assert seat.color is Color.BLACK
    assert house.join(state.id)[1].color is Color.WHITE
    with pytest.raises(NotAllowed, match="color must be"):
        house.create("green")


def test_moves_need_the_seat_token_the_turn_and_the_ply(house: ChessHouse) -> None:
    state, white = house.create("white")
    _, black = house.join(state.id)
    with pytest.raises(NotAPlayer):
        house.move(state.id, "not-a-token", "e2e4", 0)
    with pytest.raises(NotYourTurn):
        house.move(state.id, black.token, "e7e5", 0)
    with pytest.raises(IllegalMove) as illegal:
        house.move(state.id, white.token, "e2e5", 0)
    assert "e2e4" in illegal.value.legal
    moved = house.move(state.id, white.token, "e4", 0)
    assert (moved.game.moves, moved.san) == (("e2e4",), ("e4",))
    with pytest.raises(StalePly):
        house.move(state.id, black.token, "e5", 0)
    with pytest.raises(UnknownGame):
        house.move("no-such-game", white.token, "e4", 0)


def test_a_game_survives_a_restart_and_ends_as_the_rules_say(db: Database) -> None:
    house = ChessHouse(db)
    state, white = house.create("white")
    _, black = house.join(state.id)
    for token, move in [(white, "f3"), (black, "e5"), (white, "g4"), (black, "Qh4#")]:
        state = house.move(state.id, token.token, move, state.game.ply)
    again = ChessHouse(db).game(state.id)  # a new house on the same store: a restart
    assert again.game.moves == ("f2f3", "e7e5", "g2g4", "d8h4")
    assert again.san == ("f3", "e5", "g4", "Qh4#")
    assert (again.game.status, again.game.termination, again.game.result) == (
        Status.OVER, Termination.CHECKMATE, "0-1"
    )  # fmt: skip
    assert again.version == state.version


def test_draws_resignation_and_abort_go_through_the_house(house: ChessHouse) -> None:
    state, white = house.create("white")
    _, black = house.join(state.id)
    offered = house.offer_draw(state.id, white.token)
    assert offered.game.draw_offer is Color.WHITE
    declined = house.decline_draw(state.id, black.token)
    assert declined.game.draw_offer is None
    house.offer_draw(state.id, black.token)
    agreed = house.accept_draw(state.id, white.token)
    assert (agreed.game.result, agreed.game.termination) == ("1/2-1/2", Termination.AGREEMENT)
    other, w2 = house.create("white")
    house.join(other.id)
    assert house.abort(other.id, w2.token).game.termination is Termination.ABORTED
    third, w3 = house.create("black")
    house.join(third.id)
    assert house.resign(third.id, w3.token).game.result == "1-0"  # w3 sits as black
    with pytest.raises(NotAPlayer):
        house.claim_draw(third.id, "not a seat")


def test_a_flag_falls_on_the_next_read_and_is_recorded(db: Database) -> None:
    clock = FakeClock()
    changes: list[tuple[str, int]] = []
    house = ChessHouse(db, clock=clock, on_change=lambda gid, v: changes.append((gid, v)))
    state, _ = house.create("white", Clock(60, 0))
    house.join(state.id)
    clock.now += 61
    read = house.game(state.id)
    assert (read.game.termination, read.game.result) == (Termination.OUT_OF_TIME, "0-1")
    assert changes[-1] == (state.id, read.version)
    assert ChessHouse(db, clock=clock).game(state.id).version == read.version  # once, not twice


def test_games_are_listed_by_status(house: ChessHouse) -> None:
    waiting, _ = house.create("white")
    active, _ = house.create("white")
    house.join(active.id)
    assert [g.id for g in house.games(Status.WAITING)] == [waiting.id]
    assert [g.id for g in house.games(Status.ACTIVE)] == [active.id]
    assert {g.id for g in house.games()} == {waiting.id, active.id}


def race(house: ChessHouse, game_id: str, token: str, uci: str, ply: int) -> list[object]:
    """Four threads send the same move at the same instant; what each was answered."""
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append(house.move(game_id, token, uci, ply))
        except (ChessError, HouseError) as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.slow
def test_two_moves_sent_at_once_never_both_apply(house: ChessHouse) -> None:
    """Ten rounds of one seat's token racing itself for the same ply: one move each time."""
    state, white = house.create("white")
    _, black = house.join(state.id)
    plan = ["e2e4", "e7e5", "g1f3", "b8c6", "f1c4", "g8f6", "d2d3", "f8c5", "c2c3", "d7d6"]
    for ply, uci in enumerate(plan):
        mover = white if ply % 2 == 0 else black
        outcomes = race(house, state.id, mover.token, uci, ply)
        applied = [o for o in outcomes if not isinstance(o, Exception)]
        assert len(applied) == 1, outcomes
        assert all(isinstance(o, StalePly | NotYourTurn) for o in outcomes if o not in applied)
    assert house.game(state.id).game.moves == tuple(plan)


def test_seat_tokens_say_what_they_are(house: ChessHouse) -> None:
    """The authentication pipe leaves them to the chess routes: they are no account's."""
    from parlor.house.chess import is_seat_token

    _, seat = house.create("white")
    assert is_seat_token(seat.token)
    assert not is_seat_token("an-account-token")


def test_a_move_worked_out_ahead_is_decided_again_when_another_worker_moved_first(
    db: Database,
) -> None:
    """Each worker works a move out from the newest version it has seen, outside the write
    lock; a version another worker has moved past meanwhile is never written over."""
    mine, theirs = ChessHouse(db), ChessHouse(db)
    state, white = mine.create("white")
    _, black = mine.join(state.id)
    mine.move(state.id, white.token, "e2e4", 0)  # mine now knows ply 1, black to move
    theirs.move(state.id, black.token, "e7e5", 1)  # another worker answers first
    with pytest.raises(NotYourTurn):  # legal at the version mine knew; white to move now
        mine.move(state.id, black.token, "d7d5", 1)
    now = mine.game(state.id)
    assert now.game.moves == ("e2e4", "e7e5")
    assert now.version == theirs.game(state.id).version
    after = mine.move(state.id, white.token, "g1f3", 2)  # from the stored version on
    assert after.game.moves == ("e2e4", "e7e5", "g1f3")
    assert theirs.game(state.id).game.san == ("e4", "e5", "Nf3")
