"""The computer's seat at chess: a UCI engine (Stockfish, say) that moves in its games.

``ComputerSeat`` runs in the REST service's app process beside the house. A
thread waits until a game may need the computer (the house reports a change to
one of its games, or ``poll`` seconds pass, which also finds games left waiting
by a restart or changed by another worker), asks the chess house for the games
where it is the computer's turn (``ChessHouse.engine_turns``), and has the
engine (python-chess's ``chess.engine``) choose each move in ``think``
seconds, at the game's skill level. The move goes through the house like
anyone's: two workers' engines that chose at once cannot both play.

An engine that cannot be started, or dies, is started once more; if it fails
again, the game is called off (``ChessHouse.call_off``) with a note saying so,
rather than left waiting for a move that never comes. The next game tries the
engine afresh.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import chess
import chess.engine

from parlor.chess.errors import ChessError
from parlor.house.chess import ChessHouse, GameState
from parlor.house.errors import HouseError
from parlor.store.db import StoreError

log = logging.getLogger(__name__)

#: The skill levels a game may ask for (Stockfish's "Skill Level").
LEVELS = range(21)


class EngineMissing(Exception):
    """The engine named cannot be run: the message says what to do."""


def find_engine(path: str) -> str:
    """``path`` as a runnable program (looked up on PATH when it is a bare name)."""
    found = shutil.which(path) if "/" not in path else (path if Path(path).is_file() else None)
    if found is None or not shutil.which(found):
        raise EngineMissing(
            f"no chess engine at {path!r}: install one (Debian: apt-get install stockfish, then"
            " --chess-engine /usr/games/stockfish) or leave --chess-engine out"
        )
    return found


class ComputerSeat:
    """Moves for the computer in every game where it sits, until ``stop``."""

    def __init__(
        self, house: ChessHouse, path: str, *, think: float = 0.5, poll: float = 1.0
    ) -> None:
        self.house = house
        self.path = path
        self.think = think
        self.poll = poll
        self._nudged = threading.Event()
        self._stopping = threading.Event()
        self._engine: chess.engine.SimpleEngine | None = None
        self._thread = threading.Thread(target=self._run, name="parlor-chess-engine", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._nudged.set()
        self._thread.join(timeout=5)
        self._close()

    def nudge(self) -> None:
        """Something changed in a game: look for the computer's turns now."""
        self._nudged.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._nudged.wait(self.poll)
            self._nudged.clear()
            try:
                for state in self.house.engine_turns():
                    if self._stopping.is_set():
                        return
                    self._play(state)
            except Exception as error:  # a busy or restarting store, anything: go on
                # The thread is every computer game's only player: if it ended, each would
                # wait for a move that never comes. The next round tries again.
                log.warning("the computer's seat could not play this round: %s", error)

    def _play(self, state: GameState) -> None:
        assert state.engine is not None
        _, level = state.engine
        position = state.board
        for attempt in (1, 2):
            try:
                chosen = self._choose(position, level)
                break
            except (chess.engine.EngineError, EngineMissing, OSError) as error:
                self._close()
                if attempt == 2:
                    self._give_up(state, error)
                    return
        try:
            self.house.engine_move(state.id, chosen.uci(), state.game.ply)
        except (ChessError, HouseError, StoreError) as refused:  # another worker was first,
            log.info("the computer's move in %s was refused: %s", state.id, refused)  # or busy

    def _choose(self, position: chess.Board, level: int) -> chess.Move:
        engine = self._running()
        if "Skill Level" in engine.options:
            engine.configure({"Skill Level": level})
        played = engine.play(position, chess.engine.Limit(time=self.think))
        if played.move is None:
            raise chess.engine.EngineError("the engine offered no move")
        return played.move

    def _running(self) -> chess.engine.SimpleEngine:
        if self._engine is None:
            self._engine = chess.engine.SimpleEngine.popen_uci(find_engine(self.path))
        return self._engine

    def _give_up(self, state: GameState, error: Exception) -> None:
        note = (
            f"the computer's chess engine failed ({error or type(error).__name__}), so the"
            " game is called off: start another"
        )
        log.error("game %s: %s", state.id, note)
        try:
            self.house.call_off(state.id, note)
        except (ChessError, HouseError, StoreError) as refused:
            log.info("game %s could not be called off: %s", state.id, refused)

    def _close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            try:
                engine.quit()
            except (chess.engine.EngineError, OSError, TimeoutError):
                engine.close()
