"""A PGN file imported on the web, replayed a position at a time.

``POST /chess/import``: the forms pipe has streamed the upload to the upload
directory (``parlor.wsgi.uploads``); this reads its first game, keeps it in
the visit (``visits.keep_chess_replay``), and deletes the file.
``GET /chess/replay?ply=N`` draws the game after N half-moves, with links to
step through it. Nothing of an import reaches the service until the visitor
asks to play on: ``POST /chess/replay/continue`` starts a game at the service
from the position shown (``opening``: the moves up to it), with the visitor's
seat in it.
"""

from __future__ import annotations

import chess
import falcon

from parlor.chess.game import Color
from parlor.client import Conflict, InvalidInput
from parlor.web import visits
from parlor.web.chess import LOBBY, VERSION, ChessPage, account_auth, to_game
from parlor.web.chess_board import (
    PgnRefused,
    Replay,
    board_svg,
    move_rows,
    read_pgn,
    replay_status,
)
from parlor.web.chess_forms import COLORS
from parlor.web.formbody import read_form
from parlor.web.visits import ChessSeat
from parlor.wsgi.forms import FILES
from parlor.wsgi.uploads import StoredFile, discard


class ImportPgn(ChessPage):
    """POST: the uploads pipe stored the file; this reads it, keeps the game, deletes it."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        uploads: list[StoredFile] = list(req.env.get(FILES, {}).get("pgn", []))
        try:
            if not uploads:
                raise PgnRefused("Choose a PGN file to import.")
            replay = read_pgn(uploads[0].path.read_bytes())
        except PgnRefused as error:
            visits.form_errors(req, "import", {"pgn": str(error)}, {})
            raise falcon.HTTPSeeOther(f"{LOBBY}#import") from None
        finally:
            discard(uploads)  # read or refused, the file has done its work
        visits.keep_chess_replay(req, replay.to_json())
        raise falcon.HTTPSeeOther(f"{LOBBY}/replay")


class ReplayPage(ChessPage):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        stored = visits.chess_replay(req)
        replay = None if stored is None else Replay.from_json(stored)
        if replay is None:
            visits.notice(req, "Import a PGN file to replay it.", tone="error")
            raise falcon.HTTPSeeOther(f"{LOBBY}#import")
        last = len(replay.moves)
        asked = req.get_param("ply") or ""
        ply = min(int(asked), last) if VERSION.fullmatch(asked) else last
        position = replay.position(ply)
        self.show(
            req,
            resp,
            "chess_replay.html",
            replay=replay,
            ply=ply,
            last=last,
            rows=move_rows(replay.sans()),
            board=board_svg(
                position,
                orientation=Color.WHITE,
                lastmove=replay.moves[ply - 1] if ply else None,
            ),
            standing=replay_status(position),
        )


class ContinueReplay(ChessPage):
    """POST: a new game from the replay's position, the visitor seated as they chose."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        fields = read_form(req)
        stored = visits.chess_replay(req)
        replay = None if stored is None else Replay.from_json(stored)
        if replay is None:
            visits.notice(req, "Import a PGN file first.", tone="error")
            raise falcon.HTTPSeeOther(f"{LOBBY}#import")
        asked = fields.get("ply", "")
        ply = min(int(asked), len(replay.moves)) if VERSION.fullmatch(asked) else 0
        color = fields.get("color", "white")
        back = f"{LOBBY}/replay?ply={ply}"
        if replay.start != chess.STARTING_FEN:
            visits.notice(
                req, "This game starts from a set-up position: it can be replayed, not continued.",
                tone="error",
            )  # fmt: skip
            raise falcon.HTTPSeeOther(back)
        if color not in COLORS:
            visits.notice(req, "Pick white, black or a random side.", tone="error")
            raise falcon.HTTPSeeOther(back)
        try:
            grant = self.chess.create_game(
                color, opening=replay.moves[:ply], auth=account_auth(req)
            )
        except (Conflict, InvalidInput) as refused:
            visits.notice(req, refused.detail, tone="error")
            raise falcon.HTTPSeeOther(back) from None
        visits.take_chess_seat(req, grant.game.id, ChessSeat(grant.color.value, grant.token))
        visits.notice(req, f"The game goes on from move {ply // 2 + 1}: you play {grant.color}.")
        raise to_game(grant.game.id)
