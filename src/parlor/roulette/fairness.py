"""Provably-fair roulette draws: commit-reveal seeds, an HMAC-SHA256 draw, unbiased sampling.

The scheme
----------
A player should not have to trust the house that a spin was not chosen after the bet was placed.
Commit-reveal gives them a way to check:

1. When a session opens the house picks a secret *server seed* (:func:`new_server_seed`) and
   publishes only its SHA-256 (:func:`hash_server_seed`). The hash commits the house to the seed
   without revealing it, so the house cannot swap seeds later and the player cannot predict spins.
2. The player supplies a *client seed* (or accepts one from :func:`new_client_seed`). Because the
   player picks it after the commitment, the house cannot have searched for a server seed that
   favours itself against that client seed.
3. Spin ``n`` of the session (numbered from 1) is ``draw(server_seed, client_seed, n,
   pocket_count)``. The nonce makes every spin of a session distinct without new seeds.
4. When the session closes the server seed is revealed. Anyone can then run :func:`verify`: the
   seed must hash to the published commitment, and every recorded spin must equal the draw.

The draw
--------
``digest = HMAC-SHA256(key=server_seed, msg=f"{client_seed}:{nonce}")``, both UTF-8. HMAC rather
than a bare hash of the concatenation because it is a keyed PRF: the secret stays in the key slot
and no choice of client seed can shift bytes across the boundary between the two seeds.

The 32-byte digest is read as eight big-endian unsigned 32-bit words. With
``limit = 2**32 - (2**32 % pocket_count)`` the first word ``v < limit`` gives ``v % pocket_count``.
Words at or above ``limit`` are rejected because they would give the low pockets one extra
preimage each (modulo bias); below ``limit`` every pocket has exactly ``limit // pocket_count``
preimages. If all eight words are rejected the next digest is
``HMAC-SHA256(server_seed, f"{client_seed}:{nonce}:{round}")`` for ``round = 1, 2, ...``, so the
rule is total. For a 37- or 38-pocket wheel that fallback has probability below 1e-70 and never
happens in practice, but it is specified so independent implementations cannot disagree.

Pocket indices
--------------
:func:`draw` returns an index in ``range(pocket_count)``; the caller maps it to a pocket. For the
wheels the house runs, index ``k`` in 0..36 is the number ``k`` and, on the 38-pocket American
wheel, index 37 is ``"00"``. The European wheel has 37 pockets (0..36) and no ``"00"``.

This module is pure: no I/O, no clock, no module state. Randomness comes only from
:mod:`secrets` when new seeds are made; everything else is a deterministic function of its
arguments, which is what lets a third party re-derive every spin. ``docs/fairness.md`` has the
same specification for re-implementers, a reference implementation and test vectors.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = [
    "Mismatch",
    "Verification",
    "draw",
    "hash_server_seed",
    "new_client_seed",
    "new_server_seed",
    "verify",
]

# 2**32 is the size of one digest word's range; the top is inclusive so a single word can still
# index every pocket (every value then passes the rejection test).
_WORD_RANGE = 2**32
_MIN_POCKETS = 2
_MAX_POCKETS = _WORD_RANGE
# A SHA-256 digest is 32 bytes: eight 4-byte words, read big-endian so the order is the byte order
# a re-implementer sees when printing the hex digest.
_WORDS = struct.Struct(">8I")


def new_server_seed() -> str:
    """Return a fresh secret server seed: 64 lowercase hex characters (256 bits)."""
    return secrets.token_hex(32)


def new_client_seed() -> str:
    """Return a fresh client seed (32 lowercase hex characters) for players who do not pick one."""
    return secrets.token_hex(16)


def hash_server_seed(server_seed: str) -> str:
    """Return the commitment published when a session opens: lowercase hex SHA-256 of the seed."""
    return hashlib.sha256(_utf8("server_seed", server_seed)).hexdigest()


def draw(server_seed: str, client_seed: str, nonce: int, pocket_count: int) -> int:
    """Return the pocket index in ``range(pocket_count)`` for spin ``nonce`` of a session.

    Raises ``ValueError`` if a seed is not a ``str`` (or cannot be UTF-8 encoded), if ``nonce`` is
    not an ``int >= 1``, or if ``pocket_count`` is not an ``int`` in ``2..2**32``.
    """
    key = _utf8("server_seed", server_seed)
    _utf8("client_seed", client_seed)
    _check_nonce(nonce)
    _check_pocket_count(pocket_count)
    return _first_accepted(_digests(key, client_seed, nonce), pocket_count)


@dataclass(frozen=True)
class Mismatch:
    """A recorded spin whose pocket differs from the one the seeds determine."""

    nonce: int
    recorded: int
    expected: int


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify` for one revealed session."""

    seed_matches_hash: bool
    mismatches: tuple[Mismatch, ...]
    spins_checked: int

    @property
    def ok(self) -> bool:
        """True when the revealed seed matches its commitment and every spin re-derives."""
        return self.seed_matches_hash and not self.mismatches

    def describe(self, most: int | None = None) -> str:
        """Return a one-paragraph summary naming every mismatch (or the first ``most``)."""
        noun = "spin" if self.spins_checked == 1 else "spins"
        if self.ok:
            return (
                f"Verified {self.spins_checked} {noun}: the server seed matches the published "
                "hash and every recorded pocket matches the draw."
            )
        problems: list[str] = []
        if not self.seed_matches_hash:
            problems.append("the server seed does not match the published hash")
        if self.mismatches:
            count = len(self.mismatches)
            named = self.mismatches if most is None else self.mismatches[:most]
            listed = "; ".join(
                f"spin {m.nonce}: recorded pocket {m.recorded}, expected {m.expected}"
                for m in named
            )
            if len(named) < count:
                listed += f"; and {count - len(named)} more"
            plural = "mismatch" if count == 1 else "mismatches"
            problems.append(f"{count} recorded {plural} ({listed})")
        else:
            problems.append("every recorded pocket matches the draw")
        return f"Verification FAILED over {self.spins_checked} {noun}: " + "; ".join(problems) + "."


def verify(
    server_seed: str,
    server_seed_hash: str,
    client_seed: str,
    spins: Iterable[tuple[int, int]],
    pocket_count: int,
) -> Verification:
    """Check a revealed session: the seed against its commitment, and every recorded spin.

    ``spins`` are ``(nonce, recorded pocket index)`` pairs. Every mismatch is reported, not just
    the first, so a dispute can name all affected spins. The hash compare ignores hex case.
    Raises ``ValueError`` for malformed arguments, as :func:`draw` does.
    """
    if not isinstance(server_seed_hash, str):
        raise ValueError(f"server_seed_hash must be a str, not {type(server_seed_hash).__name__}")
    key = _utf8("server_seed", server_seed)
    _utf8("client_seed", client_seed)
    _check_pocket_count(pocket_count)
    # Compare bytes, not str: compare_digest rejects non-ASCII str, and a malformed published hash
    # should read as "does not match", not crash. Constant time costs nothing here and avoids
    # having to argue about whether timing matters at a given call site.
    seed_matches_hash = hmac.compare_digest(
        hash_server_seed(server_seed).encode("ascii"),
        server_seed_hash.lower().encode("utf-8", "surrogatepass"),
    )
    mismatches: list[Mismatch] = []
    checked = 0
    for nonce, recorded in spins:
        _check_nonce(nonce)
        if not isinstance(recorded, int) or isinstance(recorded, bool):
            raise ValueError(
                f"recorded pocket for spin {nonce} must be an int, not {type(recorded).__name__}"
            )
        expected = _first_accepted(_digests(key, client_seed, nonce), pocket_count)
        if recorded != expected:
            mismatches.append(Mismatch(nonce=nonce, recorded=recorded, expected=expected))
        checked += 1
    return Verification(
        seed_matches_hash=seed_matches_hash,
        mismatches=tuple(mismatches),
        spins_checked=checked,
    )


def _digests(key: bytes, client_seed: str, nonce: int) -> Iterator[bytes]:
    """Yield the digest for round 0 (``client:nonce``), then rounds 1, 2, ... (``:round``).

    A generator keeps the round-extension rule in one place and lets a test drive
    :func:`_first_accepted` with hand-made digests.
    """
    yield hmac.digest(key, f"{client_seed}:{nonce}".encode(), "sha256")
    for round_ in itertools.count(1):
        yield hmac.digest(key, f"{client_seed}:{nonce}:{round_}".encode(), "sha256")


def _first_accepted(digests: Iterable[bytes], pocket_count: int) -> int:
    """Return the pocket from the first digest that has an accepted word."""
    for digest in digests:
        pocket = _scan_digest(digest, pocket_count)
        if pocket is not None:
            return pocket
    # Only reachable with a finite stream (tests); _digests() never ends.
    raise RuntimeError("digest stream ended before any word was accepted")


def _scan_digest(digest: bytes, pocket_count: int) -> int | None:
    """Return ``v % pocket_count`` for the first word ``v`` below the limit, or None if none is.

    ``limit`` is the largest multiple of ``pocket_count`` that fits in 32 bits, so accepted words
    map onto pockets exactly evenly.
    """
    limit = _WORD_RANGE - (_WORD_RANGE % pocket_count)
    for word in _WORDS.unpack(digest):
        if word < limit:
            return int(word % pocket_count)
    return None


def _utf8(name: str, value: object) -> bytes:
    # Seeds are text in the contract; bytes or numbers would hash differently in another language
    # (repr vs. raw bytes), so refuse them rather than guess an encoding.
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a str, not {type(value).__name__}")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates have no UTF-8 form
        raise ValueError(f"{name} is not encodable as UTF-8: {exc.reason}") from exc


def _check_nonce(nonce: object) -> None:
    # bool is an int subclass, but True as a nonce is a caller bug, not spin 1.
    if not isinstance(nonce, int) or isinstance(nonce, bool):
        raise ValueError(f"nonce must be an int, not {type(nonce).__name__}")
    if nonce < 1:
        raise ValueError(f"nonce must be >= 1 (spins are numbered from 1), got {nonce}")


def _check_pocket_count(pocket_count: object) -> None:
    if not isinstance(pocket_count, int) or isinstance(pocket_count, bool):
        raise ValueError(f"pocket_count must be an int, not {type(pocket_count).__name__}")
    # One pocket is not a draw; more than 2**32 cannot be reached from one 32-bit word.
    if not _MIN_POCKETS <= pocket_count <= _MAX_POCKETS:
        raise ValueError(
            f"pocket_count must be between {_MIN_POCKETS} and 2**32, got {pocket_count}"
        )
