"""The chapter's routes, exactly as its clients call them.

``GET /json/`` and ``GET /html/`` are the "Wheel service" (a stateless house
wheel); ``/session/``, ``/bet/…`` and ``/spin/…`` are the "Complete Roulette
Server". Bodies may arrive labelled as a form, as urllib sends them by default.
"""

from __future__ import annotations

import html
import random
import secrets
import threading

import falcon

from parlor.house.roulette import RouletteHouse
from parlor.roulette import wheel as rules
from parlor.roulette.wheel import AMERICAN, Wheel, describe
from parlor.service import api, represent


class HouseWheel:
    """The seed's stateless ``/json/`` spinner, drawing from the OS CSPRNG.

    Thread-safe: the count is the only state, and it is guarded.
    """

    def __init__(self, wheel: Wheel = AMERICAN, rng: random.Random | None = None) -> None:
        self.wheel = wheel
        self._rng = rng if rng is not None else secrets.SystemRandom()
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def spin(self) -> rules.Spin:
        pocket = self._rng.randrange(self.wheel.pocket_count)
        with self._lock:
            self._count += 1
        return describe(pocket)


class WheelJson:
    def __init__(self, wheel: HouseWheel) -> None:
        self._wheel = wheel

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = represent.wheel_result(self._wheel.spin().pocket)


class WheelHtml:
    def __init__(self, wheel: HouseWheel) -> None:
        self._wheel = wheel

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = (
            "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<title>Wheel Service</title></head><body>"
            "<p>Wheel service is spinning.</p>"
            f"<p>Served {html.escape(str(self._wheel.count))} spins.</p>"
            "</body></html>\n"
        )


class Sessions(api.OpenSession):
    lenient = True


class Bets(api.PlaceBet):
    lenient = True

    def location(self, session_id: str, confirmation: int) -> str:
        return f"/bet/{session_id}/{confirmation}/"


class Spin(api.SpinWheel):
    lenient = True


def add_seed_routes(
    app: falcon.App[falcon.Request, falcon.Response], house: RouletteHouse, wheel: HouseWheel
) -> None:
    app.add_route("/json", WheelJson(wheel))
    app.add_route("/html", WheelHtml(wheel))
    app.add_route("/session", Sessions(house))
    app.add_route("/bet/{session_id}", Bets(house))
    app.add_route("/bet/{session_id}/{confirmation:id}", api.ReadBet(house))
    app.add_route("/spin/{session_id}", Spin(house))
