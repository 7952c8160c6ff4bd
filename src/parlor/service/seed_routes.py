"""The chapter's routes, exactly as its clients call them.

``GET /json/`` and ``GET /html/`` are the "Wheel service" (a stateless house
wheel); ``/session/``, ``/bet/…`` and ``/spin/…`` are the "Complete Roulette
Server". Bodies may arrive labelled as a form, as urllib sends them by default.
"""

from __future__ import annotations

import html

import falcon

from parlor.house.roulette import RouletteHouse
from parlor.roulette.wheel import HouseWheel
from parlor.service import api


class WheelJson:
    def __init__(self, wheel: HouseWheel) -> None:
        self._wheel = wheel

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self._wheel.spin().to_json()


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
