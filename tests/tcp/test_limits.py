"""The flood penalty and the connection limits, as pure values with a clock passed in."""

from __future__ import annotations

import pytest

from parlor.tcp.limits import Admission, Limits, Penalty


def test_a_burst_goes_through_then_one_command_per_interval() -> None:
    penalty = Penalty(burst=10, interval=1.0)
    assert all(penalty.admit(100.0) for _ in range(10))
    assert not penalty.admit(100.0)  # the eleventh at once is refused...
    assert penalty.wait(100.0) == pytest.approx(1.0)
    assert not penalty.admit(100.5)  # ...and refusals cost nothing: wait it out
    assert penalty.admit(101.0)  # one interval later, one more
    assert not penalty.admit(101.0)


def test_a_quiet_client_earns_its_whole_burst_back() -> None:
    penalty = Penalty(burst=3, interval=2.0)
    assert [penalty.admit(0.0) for _ in range(4)] == [True, True, True, False]
    assert [penalty.admit(60.0) for _ in range(4)] == [True, True, True, False]


def test_a_steady_client_at_the_rate_is_never_refused() -> None:
    penalty = Penalty(burst=2, interval=0.5)
    assert all(penalty.admit(n * 0.5) for n in range(1_000))


def test_connections_in_all_and_per_address() -> None:
    admission = Admission(total=3, per_address=2)
    assert admission.enter("10.0.0.1") is None
    assert admission.enter("10.0.0.1") is None
    refused = admission.enter("10.0.0.1")
    assert refused is not None
    assert "10.0.0.1" in refused
    assert admission.enter("10.0.0.2") is None
    full = admission.enter("10.0.0.3")
    assert full is not None
    assert "full" in full
    admission.leave("10.0.0.1")
    assert admission.count == 2
    assert admission.enter("10.0.0.3") is None
    admission.leave("never-entered")  # a stray leave changes nothing
    assert admission.count == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"burst": 0},
        {"interval": 0},
        {"idle": -1},
        {"max_connections": 0},
        {"per_address": 0},
        {"max_sendq": 10},
        {"max_unknown": 0},
    ],
)
def test_limits_that_make_no_sense_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"at least|positive"):
        Limits(**bad)  # type: ignore[arg-type]
