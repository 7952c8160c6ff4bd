"""Reading a JSON request body safely: size, media type, syntax, shape.

Answers, in this order: 413 for a body over ``MAX_BODY`` bytes, 415 for a body
that is not declared JSON, 400 for bytes that are not JSON, 422 for JSON that
is not the documented struct (``parlor.wire``), naming the member at fault. An
empty body reads as ``{}``, so a POST that needs no fields (a spin) works with
no body at all.
"""

from __future__ import annotations

from typing import Any, TypeVar

import falcon

from parlor.service import codec
from parlor.service.problems import Problem

T = TypeVar("T")

MAX_BODY = 64 * 1024
# A body over MAX_BODY is still read, up to this much, and thrown away: a
# request left half-read cannot be followed by another on the same
# connection, and a keep-alive client would find it closed under its feet.
# Beyond this the connection is not worth saving: the answer says it closes.
MAX_DRAIN = 4 * 1024 * 1024
_DRAIN_CHUNK = 64 * 1024

# The seed's clients used urllib2, which labels any POST body as a form unless
# told otherwise; the seed-compatible routes accept JSON sent that way too.
_LENIENT_TYPES = ("application/x-www-form-urlencoded",)


def _is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _too_large(stream: Any, already_read: int) -> Problem:
    drained = already_read
    while drained <= MAX_DRAIN:
        chunk = stream.read(_DRAIN_CHUNK)
        if not chunk:
            break
        drained += len(chunk)
    headers = {"Connection": "close"} if drained > MAX_DRAIN else None
    return Problem(
        falcon.HTTP_413,
        f"the body is over {MAX_BODY} bytes",
        code="body_too_large",
        headers=headers,
    )


def read_body(
    req: falcon.Request, into: type[T], *, lenient: bool = False, code: str = "invalid_request"
) -> T:
    """The body as ``into``; ``code`` names a refusal of its shape (422)."""
    length = req.content_length
    # bounded_stream stops at Content-Length, and with none reads nothing. A
    # chunked body has none, so it is read from the raw stream, which the
    # server ends with the body. (Without "chunked" the raw stream is not
    # read: PEP 3333 lets a server block there.)
    chunked = "chunked" in (req.get_header("Transfer-Encoding") or "").lower()
    stream = req.stream if length is None and chunked else req.bounded_stream
    if length is not None and length > MAX_BODY:
        raise _too_large(stream, 0)
    raw = stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise _too_large(stream, len(raw))
    if not raw.strip():
        return codec.decode(b"", into, code=code)
    content_type = req.content_type or ""
    if not _is_json_type(content_type) and not (
        lenient and (not content_type or content_type.split(";")[0].strip() in _LENIENT_TYPES)
    ):
        raise Problem(
            falcon.HTTP_415,
            f"send the body as application/json, not {content_type or 'an unlabelled body'}",
            code="unsupported_media_type",
        )
    return codec.decode(raw, into, code=code)


MAX_IDEMPOTENCY_KEY = 255


def idempotency_key(req: falcon.Request) -> str | None:
    """The Idempotency-Key header, if any: 1–255 printable ASCII characters."""
    key = req.get_header("Idempotency-Key")
    if key is None:
        return None
    if not (0 < len(key) <= MAX_IDEMPOTENCY_KEY and key.isascii() and key.isprintable()):
        raise Problem(
            falcon.HTTP_400,
            f"Idempotency-Key must be 1–{MAX_IDEMPOTENCY_KEY} printable ASCII characters",
            code="bad_idempotency_key",
            field="Idempotency-Key",
        )
    return key
