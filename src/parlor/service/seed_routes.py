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
from parlor.service.bodies import idempotency_key, read_json
from parlor.service.represent import bet_json, receipt_json, session_json, spin_json


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


class Sessions:
    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req, lenient=True)
        state = self._house.open_session(
            body.get("name"),
            bankroll=body.get("bankroll"),
            table_min=body.get("table_min"),
            table_max=body.get("table_max"),
            wheel=body.get("wheel", "american"),
            la_partage=body.get("la_partage", False),
            client_seed=body.get("client_seed"),
        )
        resp.status = falcon.HTTP_201
        resp.location = f"/api/v1/sessions/{state.id}"
        resp.media = session_json(state)


class Bets:
    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        body = read_json(req, lenient=True)
        receipt = self._house.place_bet(
            session_id,
            body.get("proposition"),
            body.get("numbers"),
            body.get("amount"),
            idempotency_key=idempotency_key(req),
        )
        resp.status = falcon.HTTP_201
        resp.location = f"/bet/{session_id}/{receipt.bet.confirmation}/"
        resp.media = receipt_json(receipt)


class Bet:
    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_get(
        self, req: falcon.Request, resp: falcon.Response, session_id: str, confirmation: int
    ) -> None:
        placed = self._house.bet(session_id, confirmation)
        resp.media = {"bet": bet_json(placed), "outcome": placed.outcome}


class Spin:
    def __init__(self, house: RouletteHouse) -> None:
        self._house = house

    def on_post(self, req: falcon.Request, resp: falcon.Response, session_id: str) -> None:
        read_json(req, lenient=True)  # no fields, but a bad body is still refused
        resp.status = falcon.HTTP_201
        resp.media = spin_json(self._house.spin(session_id))


def add_seed_routes(
    app: falcon.App[falcon.Request, falcon.Response], house: RouletteHouse, wheel: HouseWheel
) -> None:
    app.add_route("/json", WheelJson(wheel))
    app.add_route("/html", WheelHtml(wheel))
    app.add_route("/session", Sessions(house))
    app.add_route("/bet/{session_id}", Bets(house))
    app.add_route("/bet/{session_id}/{confirmation:id}", Bet(house))
    app.add_route("/spin/{session_id}", Spin(house))
