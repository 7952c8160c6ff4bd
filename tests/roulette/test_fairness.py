"""Tests for parlor.roulette.fairness: the draw, its rejection sampling, verify() and the docs."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import struct
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlor.roulette import fairness
from parlor.roulette.fairness import (
    Mismatch,
    Verification,
    draw,
    hash_server_seed,
    new_client_seed,
    new_server_seed,
    verify,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "fairness.md"

SEED_ZERO = "0" * 64
SEED_FF = "ff" * 32
SEED_TV1 = hashlib.sha256(b"parlor test vector 1").hexdigest()

# 2**31 + 1 rejects about half of all words, so real digests hit the fallback paths; these nonces
# (found by search, pinned in docs/fairness.md) need word 1 of round 0, round 1 and round 2.
HALF_REJECT = 2**31 + 1
NONCE_SECOND_WORD = 3
NONCE_ROUND_1 = 19
NONCE_ROUND_2 = 179918


def _words(*values: int) -> bytes:
    return struct.pack(">8I", *values)


def _limit(pocket_count: int) -> int:
    return 2**32 - (2**32 % pocket_count)


# --- seeds and hash ------------------------------------------------------------------------------


def test_new_seeds_are_lowercase_hex_of_the_right_length() -> None:
    server, client = new_server_seed(), new_client_seed()
    assert re.fullmatch(r"[0-9a-f]{64}", server)
    assert re.fullmatch(r"[0-9a-f]{32}", client)
    assert new_server_seed() != server


def test_hash_server_seed_is_sha256_hex_of_utf8() -> None:
    assert hash_server_seed("") == hashlib.sha256(b"").hexdigest()
    assert hash_server_seed("zoë") == hashlib.sha256("zoë".encode()).hexdigest()


# --- draw ----------------------------------------------------------------------------------------


def test_draw_is_deterministic_and_depends_on_every_input() -> None:
    base = draw(SEED_TV1, "alice", 1, 38)
    assert all(draw(SEED_TV1, "alice", 1, 38) == base for _ in range(5))
    # One spin can collide by chance (1 in 38); 20 fixed nonces cannot all collide.
    spins = [draw(SEED_TV1, "alice", n, 38) for n in range(1, 21)]
    assert spins != [draw(SEED_FF, "alice", n, 38) for n in range(1, 21)]
    assert spins != [draw(SEED_TV1, "bob", n, 38) for n in range(1, 21)]
    assert len(set(spins)) > 1


def test_draw_matches_the_spec_for_round_zero() -> None:
    digest = hmac.new(SEED_ZERO.encode(), b"alice:1", hashlib.sha256).digest()
    first = int.from_bytes(digest[:4], "big")
    assert first < _limit(38)  # so the first word decides
    assert draw(SEED_ZERO, "alice", 1, 38) == first % 38


@pytest.mark.parametrize("pocket_count", [2, 37, 38, 1000, HALF_REJECT, 2**32])
def test_draw_is_in_range(pocket_count: int) -> None:
    for nonce in range(1, 200):
        assert 0 <= draw(SEED_FF, "alice", nonce, pocket_count) < pocket_count


def test_distribution_over_38_pockets_is_flat() -> None:
    pockets = 38
    per_pocket = 2000
    counts = Counter(
        draw(SEED_TV1, "alice", n, pockets) for n in range(1, pockets * per_pocket + 1)
    )
    assert set(counts) == set(range(pockets))
    chi_square = sum((counts[k] - per_pocket) ** 2 / per_pocket for k in range(pockets))
    # 37 degrees of freedom: mean 37, sd ~8.6. 100 is > 7 sd out; the inputs are fixed, so this
    # can only fail if the draw is actually biased.
    assert chi_square < 100


@given(
    server_seed=st.text(max_size=80),
    client_seed=st.text(max_size=40),
    nonce=st.integers(min_value=1, max_value=2**70),
    pocket_count=st.integers(min_value=2, max_value=2**32),
)
@settings(max_examples=200, deadline=None)
def test_draw_in_range_for_arbitrary_inputs(
    server_seed: str, client_seed: str, nonce: int, pocket_count: int
) -> None:
    pocket = draw(server_seed, client_seed, nonce, pocket_count)
    assert 0 <= pocket < pocket_count
    assert pocket == _reference()["draw"](server_seed, client_seed, nonce, pocket_count)


# --- rejection sampling --------------------------------------------------------------------------


def test_scan_skips_words_at_or_above_the_limit() -> None:
    limit = _limit(38)
    assert limit == 2**32 - 6
    digest = _words(2**32 - 1, limit, 77, 1, 1, 1, 1, 1)
    assert fairness._scan_digest(digest, 38) == 77 % 38
    # limit - 1 is the largest accepted word and maps to the last pocket.
    assert fairness._scan_digest(_words(limit, limit - 1, 0, 0, 0, 0, 0, 0), 38) == 37


def test_scan_returns_none_when_every_word_is_rejected() -> None:
    assert fairness._scan_digest(_words(*[2**32 - 1] * 8), 38) is None
    assert fairness._scan_digest(_words(*[_limit(37)] * 8), 37) is None


def test_scan_accepts_every_word_at_the_maximum_pocket_count() -> None:
    assert fairness._scan_digest(_words(*[2**32 - 1] * 8), 2**32) == 2**32 - 1


def test_all_rejected_digest_falls_through_to_the_next_round() -> None:
    rejected = _words(*[2**32 - 1] * 8)
    next_round = _words(5, *[0] * 7)
    assert fairness._first_accepted(iter([rejected, rejected, next_round]), 38) == 5


def test_finite_digest_stream_with_no_accepted_word_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="ended"):
        fairness._first_accepted(iter([_words(*[2**32 - 1] * 8)]), 38)


def test_digest_rounds_use_the_documented_messages() -> None:
    key = SEED_TV1.encode()
    stream = fairness._digests(key, "bob:42", 7)
    expected = [b"bob:42:7", b"bob:42:7:1", b"bob:42:7:2"]
    for message in expected:
        assert next(stream) == hmac.new(key, message, hashlib.sha256).digest()


def test_real_draws_exercise_second_word_round_one_and_round_two() -> None:
    key = SEED_TV1.encode()

    def rounds(nonce: int) -> list[bytes]:
        stream = fairness._digests(key, "alice", nonce)
        return [next(stream) for _ in range(3)]

    limit = _limit(HALF_REJECT)

    d0 = rounds(NONCE_SECOND_WORD)[0]
    assert struct.unpack(">8I", d0)[0] >= limit
    assert draw(SEED_TV1, "alice", NONCE_SECOND_WORD, HALF_REJECT) == fairness._scan_digest(
        d0, HALF_REJECT
    )

    d0, d1, _ = rounds(NONCE_ROUND_1)
    assert fairness._scan_digest(d0, HALF_REJECT) is None
    assert draw(SEED_TV1, "alice", NONCE_ROUND_1, HALF_REJECT) == fairness._scan_digest(
        d1, HALF_REJECT
    )

    d0, d1, d2 = rounds(NONCE_ROUND_2)
    assert fairness._scan_digest(d0, HALF_REJECT) is None
    assert fairness._scan_digest(d1, HALF_REJECT) is None
    assert draw(SEED_TV1, "alice", NONCE_ROUND_2, HALF_REJECT) == fairness._scan_digest(
        d2, HALF_REJECT
    )


# --- argument validation -------------------------------------------------------------------------

_GOOD = {"server_seed": SEED_ZERO, "client_seed": "alice", "nonce": 1, "pocket_count": 38}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"nonce": 0}, "nonce must be >= 1"),
        ({"nonce": -1}, "nonce must be >= 1"),
        ({"nonce": 1.5}, "nonce must be an int"),
        ({"nonce": True}, "nonce must be an int"),
        ({"nonce": "1"}, "nonce must be an int"),
        ({"pocket_count": 1}, "pocket_count must be between"),
        ({"pocket_count": 0}, "pocket_count must be between"),
        ({"pocket_count": -38}, "pocket_count must be between"),
        ({"pocket_count": 2**32 + 1}, "pocket_count must be between"),
        ({"pocket_count": 38.0}, "pocket_count must be an int"),
        ({"pocket_count": True}, "pocket_count must be an int"),
        ({"server_seed": b"00"}, "server_seed must be a str"),
        ({"server_seed": None}, "server_seed must be a str"),
        ({"client_seed": 42}, "client_seed must be a str"),
        ({"client_seed": "\ud800"}, "client_seed is not encodable as UTF-8"),
        ({"server_seed": "\udfff"}, "server_seed is not encodable as UTF-8"),
    ],
)
def test_draw_rejects_bad_arguments(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        draw(**{**_GOOD, **override})


def test_hash_server_seed_rejects_non_str() -> None:
    with pytest.raises(ValueError, match="server_seed must be a str"):
        hash_server_seed(b"00")  # type: ignore[arg-type]


# --- verify --------------------------------------------------------------------------------------


def _session(count: int = 10) -> list[tuple[int, int]]:
    return [(n, draw(SEED_TV1, "alice", n, 38)) for n in range(1, count + 1)]


def test_verify_honest_session_is_ok() -> None:
    result = verify(SEED_TV1, hash_server_seed(SEED_TV1), "alice", _session(), 38)
    assert result == Verification(seed_matches_hash=True, mismatches=(), spins_checked=10)
    assert result.ok
    assert result.describe().startswith("Verified 10 spins:")


def test_verify_hash_compare_ignores_case_and_accepts_a_generator() -> None:
    spins = iter(_session(3))
    result = verify(SEED_TV1, hash_server_seed(SEED_TV1).upper(), "alice", spins, 38)
    assert result.ok
    assert result.spins_checked == 3


def test_verify_names_every_tampered_spin() -> None:
    spins = _session()
    tampered = {3: (spins[2][1] + 1) % 38, 7: (spins[6][1] + 5) % 38}
    for nonce, pocket in tampered.items():
        spins[nonce - 1] = (nonce, pocket)
    result = verify(SEED_TV1, hash_server_seed(SEED_TV1), "alice", spins, 38)
    assert not result.ok
    assert result.seed_matches_hash
    assert result.mismatches == tuple(
        Mismatch(nonce=n, recorded=tampered[n], expected=draw(SEED_TV1, "alice", n, 38))
        for n in (3, 7)
    )
    text = result.describe()
    for m in result.mismatches:
        assert f"spin {m.nonce}: recorded pocket {m.recorded}, expected {m.expected}" in text
    assert "2 recorded mismatches" in text
    assert "\n" not in text


def test_verify_flags_a_seed_that_does_not_match_the_hash() -> None:
    result = verify(SEED_FF, hash_server_seed(SEED_TV1), "alice", _session(1), 38)
    assert not result.seed_matches_hash
    assert not result.ok
    assert result.spins_checked == 1
    assert "does not match the published hash" in result.describe()


def test_describe_seed_mismatch_with_all_spins_matching() -> None:
    result = verify(SEED_FF, hash_server_seed(SEED_TV1), "alice", [], 38)
    assert result.describe() == (
        "Verification FAILED over 0 spins: the server seed does not match the published hash; "
        "every recorded pocket matches the draw."
    )


def test_verify_malformed_hash_is_a_mismatch_not_a_crash() -> None:
    for bad in ["", "zz", "é" * 64, "\ud800"]:
        assert not verify(SEED_TV1, bad, "alice", [], 38).seed_matches_hash


def test_describe_singular_and_combined_failures() -> None:
    one = Verification(seed_matches_hash=False, mismatches=(Mismatch(7, 12, 30),), spins_checked=1)
    assert one.describe() == (
        "Verification FAILED over 1 spin: the server seed does not match the published hash; "
        "1 recorded mismatch (spin 7: recorded pocket 12, expected 30)."
    )


@pytest.mark.parametrize(
    ("spins", "message"),
    [
        ([(0, 1)], "nonce must be >= 1"),
        ([(1, "9")], "recorded pocket for spin 1 must be an int"),
        ([(1, True)], "recorded pocket for spin 1 must be an int"),
    ],
)
def test_verify_rejects_bad_spins(spins: list[tuple[Any, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        verify(SEED_TV1, hash_server_seed(SEED_TV1), "alice", spins, 38)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((SEED_TV1, None, "alice", [], 38), "server_seed_hash must be a str"),
        ((1, "00", "alice", [], 38), "server_seed must be a str"),
        ((SEED_TV1, "00", None, [], 38), "client_seed must be a str"),
        ((SEED_TV1, "00", "alice", [], 1), "pocket_count must be between"),
    ],
)
def test_verify_rejects_bad_arguments(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        verify(*args)


# --- docs/fairness.md ----------------------------------------------------------------------------


def _doc_vectors() -> list[dict[str, str]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header = "| server_seed | server_seed_hash | client_seed | nonce | pocket_count | pocket |"
    start = lines.index(header)
    names = [c.strip() for c in header.strip("|").split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        rows.append(dict(zip(names, cells, strict=True)))
    return rows


@cache
def _reference() -> dict[str, Callable[..., Any]]:
    """Exec the reference implementation from the docs, so it is tested like the real code."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    source = next(b for b in blocks if "def draw(" in b)
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    return namespace


def test_docs_vector_table_is_large_enough() -> None:
    rows = _doc_vectors()
    assert len(rows) >= 12
    assert {r["pocket_count"] for r in rows} >= {"37", "38"}
    assert {json.loads(r["client_seed"]) for r in rows} >= {"alice", "", "bob:42"}
    assert {r["server_seed"] for r in rows} >= {SEED_ZERO, SEED_FF, SEED_TV1}


def test_docs_vectors_match_the_code_and_the_reference_implementation() -> None:
    reference = _reference()
    for row in _doc_vectors():
        seed, client = row["server_seed"], json.loads(row["client_seed"])
        nonce, pockets, pocket = int(row["nonce"]), int(row["pocket_count"]), int(row["pocket"])
        assert hash_server_seed(seed) == row["server_seed_hash"], row
        assert reference["server_seed_hash"](seed) == row["server_seed_hash"], row
        assert draw(seed, client, nonce, pockets) == pocket, row
        assert reference["draw"](seed, client, nonce, pockets) == pocket, row


def test_a_summary_can_name_only_the_first_mismatches() -> None:
    result = fairness.Verification(
        seed_matches_hash=True,
        mismatches=tuple(fairness.Mismatch(n, 1, 2) for n in range(1, 31)),
        spins_checked=30,
    )
    short = result.describe(most=3)
    assert "spin 3: recorded pocket 1, expected 2; and 27 more" in short
    assert "spin 4:" not in short
    assert "spin 30:" in result.describe()
