"""Chess moves: the house at ply 10 and 300, and move round-trips over REST beside hello-world.

Three measurements:

- **house**: in-process on SQLite, a move and a read of a game at ply 10 and at
  ply 300 (the state is the move list: a read must not cost the length of the
  game), beside the anchor, python-chess replaying the same moves into a board.
- **REST**: move round-trips per second on a real `parlor service`, 200 games in
  parallel, `wrk -t1 -c32`: a Lua script keeps each game's next move and ply,
  learns each answer's ply from its body, and sends the game's next move as
  the right player (Bearer seat token). Beside it, in alternating rounds, the
  hello-world anchor (bench/rest_bet.py's) on the same server settings. Bar:
  moves at ≥ 10% of hello-world's requests/s.
- **rules**: a bare python-chess push + outcome loop, the ceiling any server
  of these rules has, in moves per second on one core; and what a move's answer
  needs of python-chess alone (the move checked and pushed, its SAN, the next
  position's legal moves, FEN, check, repetition).
- **the app alone**: the service's WSGI app called in-process on one thread,
  no front door, no HTTP and no sockets, the same 200 games: the most moves
  per second one app process can give, whatever is in front of it.

    .venv/bin/python bench/chess_moves.py [--seconds 10] [--rounds 3] [--write-md]
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import chess
from rich.console import Console

from mdsection import replace_section
from rest_bet import CONNECTIONS, LUA_REPORT, THREADS, free_port, load_arguments, server, wrk

SECTION = "Chess: moves at ply 10 and 300, and move round-trips over REST"
GAMES = 200
#: Half-moves each benchmark game can take: more than a round plays.
LENGTH = 400


def quiet_game(length: int, seed: int) -> list[str]:
    """``length`` legal half-moves (UCI) after which the game is still going: a random
    walk that avoids every move ending the game, so the rules never stop it."""
    rng = random.Random(seed)
    board = chess.Board()
    moves: list[str] = []
    while len(moves) < length:
        candidates = list(board.legal_moves)
        rng.shuffle(candidates)
        for move in candidates:
            board.push(move)
            if board.outcome(claim_draw=False) is None and not board.is_repetition(4):
                moves.append(move.uci())
                break
            board.pop()
        else:  # boxed in: start over from another seed
            return quiet_game(length, seed + 1_000)
    return moves


# -- the house, in-process ---------------------------------------------------------------


def house_figures(work: Path, rounds: int) -> dict[str, float]:
    """Microseconds of a read and a move at ply 10 and 300, as the REST service does them:
    the house's operation and the answer worked out from it (``represent``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from parlor.chess.position import POSITIONS
    from parlor.house.chess import ChessHouse
    from parlor.service.chess import _answer, represent
    from parlor.store.db import open_database
    from parlor.store.schema import migrate

    db = open_database(f"sqlite:///{work / 'house.db'}")
    migrate(db)
    house = ChessHouse(db)
    moves = quiet_game(320, 1)
    figures: dict[str, list[float]] = {}

    def timed(name: str, work: Callable[..., object], *args: object) -> None:
        started = time.perf_counter()
        work(*args)
        samples.setdefault(name, []).append(time.perf_counter() - started)

    def read(game_id: str) -> None:
        represent(house.game(game_id), 0.0)

    def play(game_id: str, token: str, ply: int) -> None:
        represent(house.move(game_id, token, moves[ply], ply), 0.0)

    def replay(ply: int) -> None:
        board = chess.Board()
        for uci in moves[: ply + 1]:
            board.push_uci(uci)
        board.outcome()

    for ply in (10, 300):
        for _ in range(rounds):
            samples: dict[str, list[float]] = {}
            for _ in range(40):
                state, white = house.create("white", opening=moves[:ply])
                _, black = house.join(state.id)
                token = white.token if ply % 2 == 0 else black.token
                # Cold: a worker that has never seen the game replays it from the store.
                POSITIONS.clear()
                house._moves_of.clear()
                _answer.cache_clear()
                timed("cold", read, state.id)
                # Warm: another read of the same version, as its watchers make.
                timed("read", read, state.id)
                timed("move", play, state.id, token, ply)
                timed("replay", replay, ply)
            for name, values in samples.items():
                figures.setdefault(f"{name}_{ply}", []).append(statistics.median(values))
    db.close()
    return {name: statistics.median(values) * 1e6 for name, values in figures.items()}


# -- the rules alone ---------------------------------------------------------------------


def _per_second(step: Callable[[chess.Board, str], object], seconds: float) -> float:
    """How many times a second ``step`` plays a move of a quiet game, one core."""
    moves = quiet_game(LENGTH, 2)
    done, board, index = 0, chess.Board(), 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(50):
            if index == len(moves):
                board, index = chess.Board(), 0
            step(board, moves[index])
            index += 1
            done += 1
    return done / (time.perf_counter() - started)


def _push_and_outcome(board: chess.Board, uci: str) -> None:
    board.push_uci(uci)
    board.outcome(claim_draw=False)


def _what_an_answer_needs(board: chess.Board, uci: str) -> None:
    board.san_and_push(board.parse_uci(uci))
    sorted(move.uci() for move in board.generate_legal_moves())
    board.fen()
    board.is_check()
    board.is_repetition(3)


def rules_rate(seconds: float = 3.0) -> float:
    """python-chess push + outcome per second, one core: the anchor's ceiling."""
    return _per_second(_push_and_outcome, seconds)


def answer_needs_us(seconds: float = 3.0) -> float:
    """Microseconds of python-chess per move for what the answer to a move holds: the
    move checked and pushed, its SAN, the next position's legal moves (UCI), its FEN,
    check and repetition. The floor under any server of these rules."""
    return 1e6 / _per_second(_what_an_answer_needs, seconds)


# -- the app alone, in-process ------------------------------------------------------------


def app_alone_rate(work: Path, games: list[list[str]], start: int, seconds: float) -> float:
    """Moves per second through the service's WSGI app called directly on one thread: the
    pipes, Falcon, the house, the store and the answer, without the front door, HTTP
    or a socket. One app process cannot serve more, whatever is in front of it."""
    from parlor.house.chess import ChessHouse
    from parlor.run.request import Request, call_app
    from parlor.service.app import create_app, house_from_settings
    from parlor.settings import Settings

    work.mkdir(exist_ok=True)
    settings = Settings(database_url=f"sqlite:///{work / 'alone.db'}")
    roulette = house_from_settings(settings)
    house = ChessHouse(roulette.db)
    app = create_app(roulette, chess=house, settings=settings)
    seats = []
    for moves in games:
        state, white = house.create("white", opening=moves[:start])
        _, black = house.join(state.id)
        seats.append((state.id, white.token, black.token))

    def request(game_id: str, token: str, move: str, ply: int) -> Request:
        """The move as the front door hands it to the app process."""
        body = json.dumps({"move": move, "ply": ply}).encode()
        headers = [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            ("authorization", f"Bearer {token}"),
        ]
        path = f"/api/v1/chess/games/{game_id}/moves"
        return Request("POST", path, "", "1.1", "127.0.0.1:36000", "http", "127.0.0.1",
                       headers, body, time.perf_counter())  # fmt: skip

    statuses: set[int] = set()
    played, spent, ply = 0, 0.0, start
    while spent < seconds and ply < LENGTH:
        for (game_id, white, black), moves in zip(seats, games, strict=True):
            asked = request(game_id, white if ply % 2 == 0 else black, moves[ply], ply)
            began = time.perf_counter()  # the app process's own work: environ, app, body
            statuses.add(call_app(app, asked.environ(multiprocess=True))[0])
            spent += time.perf_counter() - began
            played += 1
        ply += 1
    roulette.db.close()
    if statuses != {201}:
        raise SystemExit(f"a move was refused in-process: {statuses}")
    return played / spent


@contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Send this process's stderr (the access log the app writes, a line a move) to ``path``."""
    saved = os.dup(2)
    with path.open("w") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        time.sleep(0.2)  # the log's writer thread flushes every 50 ms
        os.dup2(saved, 2)
        os.close(saved)


# -- REST ---------------------------------------------------------------------------------

LUA_MOVES = """
local games = {%s}
local index = {}
for i, g in ipairs(games) do index[g.id] = i; g.ply = g.start end
-- The games whose answer has come back, first in first out: each is sent its next move.
local queue, first, last = {}, 1, 0
local function push(i) last = last + 1; queue[last] = i end
local function pop() local i = queue[first]; queue[first] = nil; first = first + 1; return i end
for i = 1, #games do push(i) end

request = function()
  local g = games[pop()]
  local token = (g.ply %% 2 == 0) and g.white or g.black
  local body = '{"move":"' .. g.moves[g.ply + 1] .. '","ply":' .. g.ply .. '}'
  return wrk.format("POST", "/api/v1/chess/games/" .. g.id .. "/moves",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

response = function(status, headers, body)
  local id = string.match(body, '"game":"([^"]+)"')
  local ply = tonumber(string.match(body, '"ply":(%%d+)'))
  if status == 201 and id and ply then
    games[index[id]].ply = ply
    push(index[id])
  end
end
"""


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def service_processes(port: int) -> dict[str, int]:
    """The pids of the service's front door (Granian's worker) and of its app process."""
    for pid in _pgrep("-f", f"parlor service --port {port}"):
        for child in _pgrep("-P", str(pid)):
            if b"parlor.run.appworker" in Path(f"/proc/{child}/cmdline").read_bytes():
                return {"door": pid, "app": child}
    raise SystemExit("cannot find the service's worker and app process")


def _pgrep(*args: str) -> list[int]:
    found = subprocess.run(["pgrep", *args], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


def lua_games(base: str, games: list[list[str]], start: int) -> str:
    """Start one game for each move list, ``start`` plies in, both seats taken; as Lua tables.

    Each game has moves of its own: games that shared one move list would share their
    positions too, and a server that keeps positions would work each out once for all."""
    entries = []
    for moves in games:
        made = _post(f"{base}/api/v1/chess/games", {"color": "white", "opening": moves[:start]})
        grant = made["game"]
        assert isinstance(grant, dict)
        game_id = grant["game"]
        joined = _post(f"{base}/api/v1/chess/games/{game_id}/join", {})
        listed = ",".join(f'"{m}"' for m in moves)
        entries.append(
            f'{{id="{game_id}", white="{made["token"]}", black="{joined["token"]}",'
            f" start={start}, moves={{{listed}}}}}"
        )
    return ",\n".join(entries)


def _post(url: str, body: object) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        answer: dict[str, object] = json.load(response)
        return answer


def main() -> None:
    args = load_arguments(__doc__)
    console = Console()
    work = Path(tempfile.mkdtemp(prefix="parlor-bench-chess-"))
    env = {
        **os.environ,
        "PYTHONPATH": f"{Path(__file__).resolve().parent}{os.pathsep}"
        f"{os.environ.get('PYTHONPATH', '')}",
    }
    with console.status("the house: a move and a read at ply 10 and 300"):
        house = house_figures(work, args.rounds)
    with console.status("the rules alone: python-chess push + outcome"):
        ceiling = rules_rate()
        needs = answer_needs_us()

    python = sys.executable
    hello_port, parlor_port = free_port(), free_port()
    hello_argv = [
        python, "-c",
        "from parlor.run.serve import run_wsgi; "
        f"run_wsgi('hello_app:create', host='127.0.0.1', port={hello_port},"
        f" workers=1, label='hello', threads={THREADS})",
    ]  # fmt: skip
    parlor_argv = [
        python, "-m", "parlor", "service", "--port", str(parlor_port),
        "--database", f"sqlite:///{work / 'rest.db'}",
    ]  # fmt: skip
    hello_script = work / "hello.lua"
    hello_script.write_text(LUA_REPORT)
    with console.status(f"{GAMES} games of {LENGTH} random quiet moves each"):
        games = [quiet_game(LENGTH, 3 + n) for n in range(GAMES)]
    with console.status("the app alone, in-process"), stderr_to(work / "alone.log"):
        alone = statistics.median(
            app_alone_rate(work / f"alone{n}", games, 10, 3.0) for n in range(args.rounds)
        )
    results: dict[str, list[dict[str, float]]] = {"hello": [], "moves": []}
    with console.status("") as status:
        for round_ in range(1, args.rounds + 1):
            status.update(f"round {round_}/{args.rounds}: hello-world")
            with server(hello_argv, hello_port, work / "hello.log", env):
                results["hello"].append(
                    wrk(f"http://127.0.0.1:{hello_port}/hello", hello_script, args.seconds)
                )
            status.update(f"round {round_}/{args.rounds}: moves in {GAMES} games")
            with server(parlor_argv, parlor_port, work / "parlor.log", env):
                script = work / f"moves{round_}.lua"
                start = 10  # every game is at least 10 plies in, then runs on
                script.write_text(
                    LUA_MOVES % lua_games(f"http://127.0.0.1:{parlor_port}", games, start)
                    + LUA_REPORT
                )
                processes = service_processes(parlor_port)
                before = {name: _cpu_seconds(pid) for name, pid in processes.items()}
                measured = wrk(f"http://127.0.0.1:{parlor_port}/", script, args.seconds)
                played = measured["rps"] * args.seconds
                for name, pid in processes.items():
                    measured[f"{name}_us"] = (_cpu_seconds(pid) - before[name]) / played * 1e6
                results["moves"].append(measured)
    errors = sum(r["errors"] for rs in results.values() for r in rs)
    if errors:
        raise SystemExit(f"{errors} requests failed: see {work}/*.log")
    med = {
        name: {key: statistics.median(r[key] for r in rs) for key in ("rps", "p50_ms", "p99_ms")}
        for name, rs in results.items()
    }
    ratios = [m["rps"] / h["rps"] for m, h in zip(results["moves"], results["hello"], strict=True)]
    ratio = med["moves"]["rps"] / med["hello"]["rps"]
    for name in ("app_us", "door_us"):
        med["moves"][name] = statistics.median(r[name] for r in results["moves"])
    verdict = "PASS" if ratio >= 0.10 else "FAIL"
    alone_ratio = alone / med["hello"]["rps"]
    console.print(
        f"house (µs): read {house['read_10']:.0f} at ply 10, {house['read_300']:.0f} at 300"
        f" (cold: {house['cold_10']:.0f}, {house['cold_300']:.0f}); move"
        f" {house['move_10']:.0f} at 10, {house['move_300']:.0f} at 300 (python-chess replay:"
        f" {house['replay_10']:.0f}, {house['replay_300']:.0f})"
    )
    console.print(
        f"REST: {med['moves']['rps']:,.0f} moves/s beside hello-world {med['hello']['rps']:,.0f}"
        f" req/s = {ratio:.1%} (rounds {min(ratios):.1%}–{max(ratios):.1%}; bar 10%: {verdict});"
        f" python-chess alone: {ceiling:,.0f} push+outcome/s"
    )
    console.print(
        f"the app alone, in-process, no HTTP: {alone:,.0f} moves/s = {alone_ratio:.1%} of"
        f" hello-world; what an answer needs of python-chess: {needs:.0f} µs a move"
    )
    if args.write_md:
        write_markdown(house, med, ratio, ratios, verdict, ceiling, args, alone, needs)


def write_markdown(
    house: dict[str, float],
    med: dict[str, dict[str, float]],
    ratio: float,
    ratios: list[float],
    verdict: str,
    ceiling: float,
    args: object,
    alone: float,
    needs: float,
) -> None:
    seconds, rounds = getattr(args, "seconds"), getattr(args, "rounds")  # noqa: B009
    body = f"""## {SECTION}

Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core machine, Python {platform.python_version()},
python-chess {chess.__version__}; `bench/chess_moves.py`.

**The house** (in-process, SQLite; medians of {rounds} rounds of 40 games each), as the
REST service works: the house's operation and the answer worked out from it (FEN, legal
moves, repetition checks). A *cold* read is a worker's first sight of the game: its moves
are replayed from the store into a board. Later reads of that version, and the move after
them, start from the position kept (a move costs one push on it), and each position's
facts (FEN, legal moves, check, the ending) are worked out once, from one generation of
its legal moves (`parlor/chess/position.py`). Beside each, the anchor: python-chess alone
replaying the same moves.

| at ply | read, cold | read | move | python-chess replay (anchor) |
| ---: | ---: | ---: | ---: | ---: |
| 10 | {house["cold_10"]:.0f} µs | {house["read_10"]:.0f} µs | {house["move_10"]:.0f} µs | {house["replay_10"]:.0f} µs |
| 300 | {house["cold_300"]:.0f} µs | {house["read_300"]:.0f} µs | {house["move_300"]:.0f} µs | {house["replay_300"]:.0f} µs |

**Move round-trips over REST.** One `parlor service` (SQLite, 1 worker, {THREADS} request
threads), {GAMES} games in parallel, each with random moves of its own, each move sent by its
player with a Bearer seat token as the answer to the previous one arrives (`wrk -t1 -c{CONNECTIONS} -d{seconds}s`, a Lua script
that reads each answer's ply); beside it, hello-world Falcon on plain Granian WSGI, the same
worker and thread counts; {rounds} alternating rounds, medians; no request failed.

| server | requests/s | p50 latency | p99 latency |
| --- | ---: | ---: | ---: |
| hello-world Falcon (anchor) | {med["hello"]["rps"]:,.0f} | {med["hello"]["p50_ms"]:.2f} ms | {med["hello"]["p99_ms"]:.2f} ms |
| parlor `POST /api/v1/chess/games/{{id}}/moves` | {med["moves"]["rps"]:,.0f} | {med["moves"]["p50_ms"]:.2f} ms | {med["moves"]["p99_ms"]:.2f} ms |

**Ratio: {ratio:.1%}** of hello-world (rounds: {", ".join(f"{r:.1%}" for r in ratios)}).
Bar (≥ 10%): **{verdict}**. The rules' own ceiling, python-chess push + outcome on one
core: {ceiling:,.0f} moves/s.

**The ceiling of one app process.** The same 200 games, each move sent straight to the
service's WSGI app in-process, on one thread, with no front door, no HTTP and no socket
(`app_alone_rate`): **{alone:,.0f} moves/s, {alone / med["hello"]["rps"]:.1%} of
hello-world**. Nothing placed in front of one app process can serve more, and the bar
asks for {0.10 * med["hello"]["rps"]:,.0f}: a move would have to cost at most
{1e6 / (0.10 * med["hello"]["rps"]):.0f} µs of one core in all. What a move's answer needs of
python-chess alone (the move checked and pushed, its SAN, the next position's legal
moves, FEN, check and repetition; `answer_needs_us`) is {needs:.0f} µs of that; the
rest must pay for the write transaction, the pipes, Falcon and the JSON.

Where a move's time goes: **{med["moves"]["app_us"]:.0f} µs of CPU in the app process**
and {med["moves"]["door_us"]:.0f} µs in the front door, per move. The app process runs on
one core (one GIL), so it sets the rate: about {1e6 / med["moves"]["app_us"]:,.0f} moves/s
at most. Of its time, the move itself and its answer (the house table above: rules,
SAN, the store's row and move, FEN, the legal moves, repetition checks) are about
{house["move_10"]:.0f} µs; the rest is the request's way through the pipes and Falcon, the
JSON both ways, the store's commit and the hand-offs between request threads. The move is
worked out before its transaction, from the newest version the worker has seen, so the
rules no longer run under the database's write lock. A hello-world answer costs neither
python-chess nor a commit.

Reproduce (needs `wrk`): `.venv/bin/python bench/chess_moves.py --seconds {seconds} --rounds {rounds} --write-md`
"""  # noqa: E501
    replace_section(SECTION, body)


if __name__ == "__main__":
    main()
