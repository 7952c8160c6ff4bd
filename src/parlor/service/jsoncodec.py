"""JSON in and out of the service: orjson first, the standard library as the referee.

orjson parses and writes a bet's JSON in about 2 µs where ``json`` took about
18 µs, a seventh of everything the service spends on a bet. It is stricter
than ``json``, though: it refuses integers past 64 bits, ``NaN``, lone
surrogates and UTF-16 bodies. Whatever it refuses goes to ``json`` instead,
so the service reads exactly what it read before, answers a body that is not
JSON with the same message, and an out-of-range number is still a 422 naming
its field rather than a 400.
"""

from __future__ import annotations

import json
from typing import Any

import falcon
import orjson


def loads(raw: bytes | str) -> Any:
    """Parse a JSON document; raises ``ValueError`` (or ``RecursionError``) as ``json`` does."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: an integer past 64 bits, say
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def media_handler() -> falcon.media.JSONHandler:
    """Falcon's JSON handler for ``req.media`` and ``resp.media``, with these functions."""
    return falcon.media.JSONHandler(dumps=dumps, loads=loads)
