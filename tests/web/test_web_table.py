"""What a web worker keeps of a session between pages, and that it never shows stale chips."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest

from parlor.client import Bet, RouletteClient, SpinRecord, WheelResult
from parlor.house.roulette import RouletteHouse
from parlor.roulette.bets import BetKind
from parlor.service.app import create_falcon_app as create_service
from parlor.web.pages import form_nonce
from parlor.web.table import Known, TableReader, count_final, merge_spins
from parlor.wire.roulette import BetStatus
from tests.web.web_support import SERVICE, Browser

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def bet(
    confirmation: int, status: BetStatus, spin: int | None = None, outcome: int | None = None
) -> Bet:
    return Bet(
        confirmation=confirmation,
        proposition=BetKind.RED,
        numbers=(),
        description="red",
        amount=10,
        odds=1,
        status=status,
        spin=spin,
        returned=None,
        outcome=outcome,
        placed_at=NOW,
    )


def record(n: int) -> SpinRecord:
    result = WheelResult(pocket=n, color="red", even=False, high=False, twelve=1, column=1)
    return SpinRecord(spin=n, result=result, spun_at=NOW)


def test_final_bets_are_summed_once_and_open_ones_kept() -> None:
    key = (5, 2, 10, "open")
    bets = [
        bet(1, "settled", 1, 10),
        bet(2, "settled", 1, -10),
        bet(3, "withdrawn"),
        bet(4, "settled", 2, -10),
        bet(5, "open"),
        bet(6, "withdrawn"),  # after an open bet: read again next time
    ]
    known = count_final(Known(key), bets, key)
    assert known.through == 4
    assert known.nets == (0, -10)
    assert [b.confirmation for b in known.last_settled] == [4]
    assert [b.confirmation for b in known.pending] == [5, 6]
    # Next time: the open bet was settled by spin 3, and one more came.
    later = count_final(known, [bet(5, "settled", 3, 10), bet(6, "withdrawn"), bet(7, "open")], key)
    assert later.through == 6
    assert later.nets == (0, -10, 10)
    assert [b.confirmation for b in later.last_settled] == [5]
    assert [b.confirmation for b in later.pending] == [7]


def test_spins_merge_newest_first_and_keep_twenty() -> None:
    kept = merge_spins((), [record(n) for n in range(1, 16)])
    assert [r.spin for r in kept][:3] == [15, 14, 13]
    merged = merge_spins(kept, [record(n) for n in range(14, 26)])
    assert [r.spin for r in merged] == list(range(25, 5, -1))


class Counting(httpx.BaseTransport):
    """The service in-process, counting the requests that reach it."""

    def __init__(self, house: RouletteHouse) -> None:
        self.inner = httpx.WSGITransport(app=create_service(house))
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        return self.inner.handle_request(request)


@pytest.fixture
def counted(house: RouletteHouse) -> Iterator[tuple[RouletteClient, Counting]]:
    transport = Counting(house)
    with RouletteClient(SERVICE, transport=transport) as client:
        yield client, transport


def test_an_unchanged_session_costs_one_read(
    counted: tuple[RouletteClient, Counting], house: RouletteHouse
) -> None:
    client, transport = counted
    session = house.open_session("alice")
    for _ in range(3):
        house.place_bet(session.id, "red", None, 10)
        house.spin(session.id)
    reader = TableReader(client, ThreadPoolExecutor(2))
    first = reader.load(session.id)
    assert len(first.recent) == 3
    assert len(transport.paths) == 3  # the session, its bets, its spins
    transport.paths.clear()
    assert reader.load(session.id) is first  # the very same view: nothing changed
    assert transport.paths == [f"GET /api/v1/sessions/{session.id}?"]
    # Another client bets and spins: the next page reads only what is new.
    house.place_bet(session.id, "black", None, 20)
    house.spin(session.id)
    transport.paths.clear()
    view = reader.load(session.id)
    assert view is not first
    assert sorted(transport.paths) == sorted(
        [
            f"GET /api/v1/sessions/{session.id}?",
            f"GET /api/v1/sessions/{session.id}/bets?after=3&limit=1000",
            f"GET /api/v1/sessions/{session.id}/spins?last=1",
        ]
    )
    assert [b.confirmation for b in view.last_results] == [4]
    assert view.session.balance == house.session(session.id).balance
    # A withdrawal alone changes only open_stake: still noticed.
    placed = house.place_bet(session.id, "odd", None, 30)
    assert len(reader.load(session.id).open_bets) == 1
    house.withdraw_bet(session.id, placed.bet.confirmation)
    assert reader.load(session.id).open_bets == ()


def test_the_reader_keeps_a_bounded_number_of_sessions(
    counted: tuple[RouletteClient, Counting], house: RouletteHouse
) -> None:
    client, transport = counted
    reader = TableReader(client, ThreadPoolExecutor(2), capacity=2)
    ids = [house.open_session(name).id for name in ("a", "b", "c")]
    for session_id in ids:
        house.spin(session_id)
        reader.load(session_id)
    transport.paths.clear()
    reader.load(ids[0])  # evicted: read afresh
    assert len(transport.paths) == 2
    transport.paths.clear()
    reader.load(ids[2])  # kept
    assert len(transport.paths) == 1


def test_a_page_shown_again_is_drawn_once_per_visit(
    playing: Browser, sdk: RouletteClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = playing.get("/table").text
    from parlor.web.render import Renderer

    drawn: list[str] = []
    original = Renderer.__call__

    def counting(self: Renderer, name: str, **context: object) -> str:
        drawn.append(name)
        return original(self, name, **context)

    monkeypatch.setattr(Renderer, "__call__", counting)
    assert playing.get("/table").text == first
    assert drawn == []
    page = playing.bet(10, proposition="red")  # a flash, and a new state
    assert drawn == ["table.html"]
    assert "Bet placed" in page.text
    assert playing.get("/table").text != page.text  # the notice was shown once
    assert drawn == ["table.html", "table.html"]


def test_the_form_nonce_follows_the_visit_and_the_table() -> None:
    one = form_nonce("token", "sid", (1, 0, 10, "open"))
    assert one == form_nonce("token", "sid", (1, 0, 10, "open"))
    assert len(one) == 22
    others = {
        form_nonce("other", "sid", (1, 0, 10, "open")),
        form_nonce("token", "sid2", (1, 0, 10, "open")),
        form_nonce("token", "sid", (2, 0, 20, "open")),
    }
    assert one not in others
    assert len(others) == 3
