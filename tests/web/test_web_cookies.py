"""The visit cookie as a pure codec: round trips, sealing, tampering, both expiries."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import pytest

from parlor.web.cookies import (
    GRACE,
    CookieCodec,
    Flash,
    Lapse,
    Visit,
    _derive,
    seal,
    unseal,
)
from tests.web.web_support import IDLE, MAX_AGE, SECRET, Clock

SESSION = "e2yWNNTO_Vx2hx7ceV1jHQ"


def playing(codec: CookieCodec, flash: Flash | None = None) -> Visit:
    fresh = codec.new_visit()
    return Visit(fresh.csrf, fresh.started, fresh.seen, SESSION, flash)


def payload_of(value: str) -> Any:
    """What a cookie value says without checking its signature, as anyone could read it."""
    data = value.rsplit(".", 1)[0]
    compressed = data.startswith(".")
    raw = base64.urlsafe_b64decode(data.lstrip(".") + "=" * (-len(data.lstrip(".")) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


def test_round_trip(codec: CookieCodec, clock: Clock) -> None:
    flash = Flash(tone="error", form="bet", errors={"amount": "bad"}, values={"amount": "x"})
    visit = playing(codec, flash)
    clock.advance(60)
    loaded = codec.loads(codec.dumps(visit))
    assert loaded.lapse is None
    assert loaded.visit is not None
    assert loaded.visit.session_id == SESSION
    assert loaded.visit.flash == flash
    assert loaded.visit.csrf == visit.csrf
    assert loaded.visit.seen == clock.now  # the idle clock restarts
    assert loaded.visit.started == visit.started


def test_the_session_id_is_never_in_clear(codec: CookieCodec) -> None:
    visit = playing(codec)
    first, second = codec.dumps(visit), codec.dumps(visit)
    assert first != second  # a fresh nonce each time
    for value in (first, second):
        assert SESSION not in value
        payload = payload_of(value)
        assert SESSION not in json.dumps(payload)
        assert payload["s"] != SESSION
        assert unseal(_derive(SECRET, b"seal"), payload["s"]) == SESSION


def test_a_visit_without_a_session_carries_none(codec: CookieCodec) -> None:
    assert "s" not in payload_of(codec.dumps(codec.new_visit()))


@pytest.mark.parametrize("position", [0, 10, -1, -20])
def test_a_changed_byte_is_unreadable(codec: CookieCodec, position: int) -> None:
    value = codec.dumps(playing(codec))
    flipped = "A" if value[position] != "A" else "B"
    forged = value[:position] + flipped + value[position + 1 :] if position != -1 else value[:-1]
    assert codec.loads(forged).lapse is Lapse.UNREADABLE
    assert codec.loads(forged).visit is None


def test_another_secret_cannot_read_it(codec: CookieCodec, clock: Clock) -> None:
    other = CookieCodec("another secret", clock=clock)
    assert other.loads(codec.dumps(playing(codec))).lapse is Lapse.UNREADABLE


@pytest.mark.parametrize("value", [None, ""])
def test_no_cookie_is_no_visit(codec: CookieCodec, value: str | None) -> None:
    loaded = codec.loads(value)
    assert (loaded.visit, loaded.lapse) == (None, None)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"v": 2, "c": "t", "b": 0, "t": 0},
        {"v": 1, "c": 5, "b": 0, "t": 0},
        {"v": 1, "c": "t", "b": "0", "t": 0},
        {"v": 1, "c": "t", "b": True, "t": 0},
        {"v": 1, "c": "t"},
        {"v": 1, "c": "t", "b": 0, "t": 0, "s": 5},
        {"v": 1, "c": "t", "b": 0, "t": 0, "s": "!!not base64!!"},
        {"v": 1, "c": "t", "b": 0, "t": 0, "s": "c2hvcnQ"},
        {"v": 1, "c": "t", "b": 0, "t": 0, "f": "x"},
        {"v": 1, "c": "t", "b": 0, "t": 0, "f": {"n": 1}},
        {"v": 1, "c": "t", "b": 0, "t": 0, "f": {"e": {"a": 1}}},
    ],
)
def test_signed_nonsense_is_unreadable(codec: CookieCodec, clock: Clock, payload: Any) -> None:
    """Even a payload signed with the right key must have the right shape."""
    if isinstance(payload, dict) and "b" in payload and payload["b"] == 0:
        payload = {**payload, "b": clock.now, "t": clock.now}
    forged = codec._serializer.dumps(payload)
    assert codec.loads(forged).lapse is Lapse.UNREADABLE


def test_a_sealed_id_of_the_wrong_length_is_refused(codec: CookieCodec, clock: Clock) -> None:
    key = _derive(SECRET, b"seal")
    for sealed in (seal(key, ""), seal(key, "x" * 200)):
        forged = codec._serializer.dumps(
            {"v": 1, "c": "t", "b": clock.now, "t": clock.now, "s": sealed}
        )
        assert codec.loads(forged).lapse is Lapse.UNREADABLE


def test_idle_expiry(codec: CookieCodec, clock: Clock) -> None:
    value = codec.dumps(playing(codec))
    clock.advance(IDLE - 1)
    assert codec.loads(value).visit is not None
    clock.advance(2)
    loaded = codec.loads(value)
    assert (loaded.visit, loaded.lapse) == (None, Lapse.EXPIRED)


def test_activity_keeps_it_alive_until_the_absolute_limit(codec: CookieCodec, clock: Clock) -> None:
    value = codec.dumps(playing(codec))
    while True:
        clock.advance(IDLE - 10)
        loaded = codec.loads(value)
        if loaded.visit is None:
            break
        value = codec.dumps(loaded.visit)
    assert loaded.lapse is Lapse.EXPIRED
    assert clock.now - (1_800_000_000.0) > MAX_AGE


def test_a_visit_that_never_played_expires_quietly(codec: CookieCodec, clock: Clock) -> None:
    value = codec.dumps(codec.new_visit())
    clock.advance(IDLE + 1)
    loaded = codec.loads(value)
    assert (loaded.visit, loaded.lapse) == (None, None)


def test_the_browser_keeps_it_past_the_limit(codec: CookieCodec, clock: Clock) -> None:
    visit = codec.new_visit()
    assert codec.max_age_of(visit) == int(MAX_AGE + GRACE)
    clock.advance(MAX_AGE + GRACE + 5)
    assert codec.max_age_of(visit) == 0


def test_seal_round_trip_and_garbage() -> None:
    key = _derive("k", b"seal")
    long = "é" * 100  # past one HMAC block
    assert unseal(key, seal(key, long)) == long
    with pytest.raises(ValueError, match="not a sealed"):
        unseal(key, "short")
    with pytest.raises(ValueError, match="not a sealed"):
        unseal(key, "a")


@pytest.mark.parametrize(
    ("secret", "idle", "max_age", "message"),
    [("", 1, 2, "secret"), ("s", 0, 2, "idle"), ("s", 3, 2, "idle")],
)
def test_bad_codec_settings(secret: str, idle: float, max_age: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CookieCodec(secret, idle=idle, max_age=max_age)
