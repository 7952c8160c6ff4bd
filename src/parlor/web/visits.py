"""A browser's visit, as the web app's resources read and change it.

The visit lives on the server (``parlor.wsgi.sessions``: the cookie holds only
a random id); this module is the web app's typed view of it, over the
request's ``Session`` mapping. What a visit remembers:

* ``csrf``: the token every form of this visit carries (see ``csrf.py``),
  made the first time a page needs it;
* ``session_id``: the roulette session being played. It is a bearer
  credential for the session's chips at the REST service, so it never leaves
  the server: not in the cookie, not in any page;
* ``ended``: the game that just ended, so its fairness page can show the
  revealed seed (an ended session can no longer be played);
* ``account`` and ``token``: the signed-in player's name, and the bearer
  token the web app holds for them at the service (never shown either);
* ``flash``: what the page after a POST's 303 should say (PRG: the form's
  errors and values, or a notice), shown once and then dropped;
* ``chess_seats``: the chess seats this visit took, game id to its color and
  seat token. Like ``session_id``, a token is a bearer credential (the seat's
  moves), so it stays here: never in a URL, a cookie or a page. A visit may
  sit at several games; the oldest seats go beyond ``MAX_CHESS_SEATS``;
* ``chess_replay``: the PGN game last imported, to step through its replay.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import falcon

from parlor.wsgi.sessions import SESSION, Lapse, Session

STATIC_PREFIX = "/static/"
#: What a visit keeps about its signed-in player.
_SIGNED_IN = ("account_id", "account", "token")
#: What outlives the end of a roulette game: the chess pages are another room.
_CHESS = ("chess_seats", "chess_replay")
EXPIRED_PATH = "/expired"
#: The most chess seats a visit remembers (a bound on the visit's size, not on play).
MAX_CHESS_SEATS = 32


@dataclass(frozen=True, slots=True)
class Flash:
    """What the page after a redirect should show once: a notice, or a form's errors."""

    notice: str = ""
    #: "ok" for a confirmation, "error" for a refusal.
    tone: str = "ok"
    #: Which form ``errors`` and ``values`` belong to ("start", "bet", "login").
    form: str = ""
    errors: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "notice": self.notice,
            "tone": self.tone,
            "form": self.form,
            "errors": dict(self.errors),
            "values": dict(self.values),
        }

    @classmethod
    def from_json(cls, value: Any) -> Flash:
        """The flash a visit stored; an empty one for anything this app did not write."""
        if not isinstance(value, dict):
            return cls()
        texts = [value.get(k) for k in ("notice", "tone", "form")]
        maps = [value.get(k) for k in ("errors", "values")]
        if not all(isinstance(t, str) for t in texts) or not all(
            isinstance(m, dict) and all(isinstance(x, str) for x in (*m, *m.values())) for m in maps
        ):
            return cls()
        return cls(str(texts[0]), str(texts[1]), str(texts[2]), dict(maps[0]), dict(maps[1]))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Account:
    """The signed-in player, as the visit knows them."""

    id: int
    username: str
    #: The bearer token the web app holds for them at the service.
    token: str


def session_of(req: falcon.Request) -> Session:
    """The request's server-side session (the sessions pipe put it in the environ)."""
    found: Session = req.env[SESSION]
    return found


def _text(session: Session, name: str) -> str | None:
    value = session.get(name)
    return value if isinstance(value, str) else None


def csrf(req: falcon.Request) -> str:
    """This visit's form token, made now if it has none yet."""
    session = session_of(req)
    token = _text(session, "csrf")
    if token is None:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def existing_csrf(req: falcon.Request) -> str | None:
    """This visit's form token, if a page has made one (never makes one)."""
    return _text(session_of(req), "csrf")


def new_csrf(req: falcon.Request) -> None:
    """A new form token: pages drawn before cannot act any more (a new game, a login)."""
    session_of(req)["csrf"] = secrets.token_urlsafe(24)


def session_id(req: falcon.Request) -> str | None:
    return _text(session_of(req), "session_id")


def ended_session_id(req: falcon.Request) -> str | None:
    return _text(session_of(req), "ended")


def account(req: falcon.Request) -> Account | None:
    session = session_of(req)
    name, token, number = (
        _text(session, "account"),
        _text(session, "token"),
        session.get("account_id"),
    )
    if name is None or token is None or not isinstance(number, int):
        return None
    return Account(number, name, token)


def is_fresh(req: falcon.Request) -> bool:
    """True when the request brought no live visit (none, expired, or unknown)."""
    return session_of(req).is_new


def lapsed(req: falcon.Request) -> bool:
    """True when the request's visit timed out (not merely unknown)."""
    return session_of(req).lapse is Lapse.EXPIRED


def play(req: falcon.Request, new_session_id: str) -> None:
    session = session_of(req)
    session["session_id"] = new_session_id
    session.pop("ended", None)


def forget_game(req: falcon.Request) -> None:
    session_of(req).pop("session_id", None)


def end_game(req: falcon.Request, ended: str) -> None:
    """The game is over: the visit goes on under a new id, remembering only which game it
    was (its table and fairness page show it, ended), its form token and who is signed in."""
    session = session_of(req)
    kept = {k: session[k] for k in (*_SIGNED_IN, *_CHESS, "csrf") if k in session}
    session.end()
    session.update(kept, ended=ended)


@dataclass(frozen=True, slots=True)
class ChessSeat:
    """A seat this visit holds at a chess game."""

    color: str
    #: The seat's token at the service: it never leaves the server.
    token: str


def _chess_seats(session: Session) -> dict[str, Any]:
    seats = session.get("chess_seats")
    return dict(seats) if isinstance(seats, dict) else {}


def chess_seat(req: falcon.Request, game_id: str) -> ChessSeat | None:
    """The seat this visit took at ``game_id``, if it took one."""
    found = _chess_seats(session_of(req)).get(game_id)
    if not isinstance(found, dict):
        return None
    color, token = found.get("color"), found.get("token")
    if not isinstance(color, str) or not isinstance(token, str):
        return None
    return ChessSeat(color, token)


def take_chess_seat(req: falcon.Request, game_id: str, seat: ChessSeat) -> None:
    """Remember a seat just granted; the visit's oldest seat goes when it holds too many."""
    session = session_of(req)
    seats = _chess_seats(session)
    seats.pop(game_id, None)
    seats[game_id] = {"color": seat.color, "token": seat.token}
    while len(seats) > MAX_CHESS_SEATS:
        seats.pop(next(iter(seats)))
    session["chess_seats"] = seats


def chess_replay(req: falcon.Request) -> dict[str, str] | None:
    """The imported game this visit replays, as ``keep_chess_replay`` stored it."""
    found = session_of(req).get("chess_replay")
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        return None
    return dict(found)


def keep_chess_replay(req: falcon.Request, replay: Mapping[str, str]) -> None:
    session_of(req)["chess_replay"] = dict(replay)


def sign_in(req: falcon.Request, account_id: int, username: str, token: str) -> None:
    """A login: a new visit id (session fixation), a new form token, the player kept."""
    session = session_of(req)
    session.rotate()
    session.update(account_id=account_id, account=username, token=token)
    new_csrf(req)


def sign_out(req: falcon.Request) -> None:
    """A logout: the visit and everything in it go."""
    session_of(req).end()


def require_session(req: falcon.Request) -> str:
    """The roulette session this visit plays, or a redirect: to "expired", or to the start.

    Only a visit that timed out is told so. An unknown cookie (a restart
    that lost the store, a tampered value) starts afresh at the start page.
    """
    found = session_id(req)
    if found is None:
        if ended_session_id(req) is not None:
            notice(req, "This game has ended. Start a new one to play on.", tone="error")
            raise falcon.HTTPSeeOther("/table")
        raise falcon.HTTPSeeOther(EXPIRED_PATH if lapsed(req) else "/")
    return found


def take_flash(req: falcon.Request) -> Flash:
    """What the previous POST left to show, now removed from the visit (shown once)."""
    session = session_of(req)
    if "flash" not in session:
        return Flash()
    return Flash.from_json(session.pop("flash"))


def set_flash(req: falcon.Request, flash: Flash) -> None:
    session_of(req)["flash"] = flash.to_json()


def notice(req: falcon.Request, text: str, *, tone: str = "ok") -> None:
    set_flash(req, Flash(notice=text, tone=tone))


def form_errors(
    req: falcon.Request, form: str, errors: dict[str, str], values: dict[str, str]
) -> None:
    set_flash(req, Flash(tone="error", form=form, errors=errors, values=values))
