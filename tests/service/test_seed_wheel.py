"""The seed's stateless /json/ spinner behind the seed routes."""

from __future__ import annotations

import random
import secrets
import threading
from typing import Any

import msgspec
import pytest

from parlor.roulette.wheel import AMERICAN, DOUBLE_ZERO, EUROPEAN, describe
from parlor.service import represent
from parlor.service.seed_routes import HouseWheel


def test_house_wheel_uses_the_rng_it_is_given() -> None:
    first = HouseWheel(AMERICAN, random.Random(1))
    second = HouseWheel(AMERICAN, random.Random(1))
    a = [first.spin() for _ in range(200)]
    b = [second.spin() for _ in range(200)]
    assert a == b
    # ... and draws exactly rng.randrange(pocket_count), one call per spin.
    reference = random.Random(1)
    assert [s.pocket for s in a] == [reference.randrange(38) for _ in range(200)]
    assert all(s == describe(s.pocket) for s in a)


def test_house_wheel_different_seeds_differ() -> None:
    one = HouseWheel(AMERICAN, random.Random(1))
    two = HouseWheel(AMERICAN, random.Random(2))
    assert [one.spin().pocket for _ in range(50)] != [two.spin().pocket for _ in range(50)]


def test_house_wheel_european_never_draws_double_zero() -> None:
    house = HouseWheel(EUROPEAN, random.Random(7))
    pockets = {house.spin().pocket for _ in range(2000)}
    assert pockets == set(EUROPEAN.pockets)


def test_house_wheel_american_draws_every_pocket() -> None:
    house = HouseWheel(AMERICAN, random.Random(7))
    pockets = {house.spin().pocket for _ in range(2000)}
    assert pockets == set(AMERICAN.pockets)


def test_house_wheel_count_increments() -> None:
    house = HouseWheel(rng=random.Random(3))
    assert house.count == 0
    house.spin()
    assert house.count == 1
    for _ in range(9):
        house.spin()
    assert house.count == 10


def test_house_wheel_defaults() -> None:
    house = HouseWheel()
    assert house.wheel is AMERICAN
    assert isinstance(house._rng, secrets.SystemRandom)
    spin = house.spin()
    assert AMERICAN.has(spin.pocket)
    assert spin == describe(spin.pocket)


def test_house_wheel_count_is_thread_safe() -> None:
    house = HouseWheel(AMERICAN)
    threads_n, spins_n = 8, 500
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(spins_n):
                house.spin()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert house.count == threads_n * spins_n == 4000


@pytest.mark.parametrize(
    ("pocket", "expected"),
    [
        (
            0,
            {
                "number": "0",
                "color": "green",
                "even": False,
                "high": None,
                "twelve": None,
                "column": None,
            },
        ),
        (
            DOUBLE_ZERO,
            {
                "number": "00",
                "color": "green",
                "even": False,
                "high": None,
                "twelve": None,
                "column": None,
            },
        ),
        (
            1,
            {"number": 1, "color": "red", "even": False, "high": False, "twelve": 1, "column": 1},
        ),
        (
            36,
            {"number": 36, "color": "red", "even": True, "high": True, "twelve": 3, "column": 3},
        ),
    ],
)
def test_the_seed_json_of_each_pocket(pocket: int, expected: dict[str, Any]) -> None:
    assert msgspec.to_builtins(represent.wheel_result(pocket)) == expected


def test_the_seed_json_number_types_over_every_pocket() -> None:
    for pocket in AMERICAN.pockets:
        number = msgspec.to_builtins(represent.wheel_result(pocket))["number"]
        if pocket == 0:
            assert number == "0"
        elif pocket == DOUBLE_ZERO:
            assert number == "00"
        else:
            assert type(number) is int
            assert number == pocket
            assert 1 <= number <= 36
