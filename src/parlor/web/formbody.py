"""Reading an HTML form's body: ``application/x-www-form-urlencoded``, small, UTF-8.

The stdlib ``cgi`` module is gone (DESIGN.md "Seed corrections"); the forms
here are a few short fields, so the body is read whole, up to ``MAX_BODY``
bytes (Falcon's bounded stream reads no further than Content-Length, which
browsers always send with a form), and parsed with ``urllib.parse``. A field
named twice keeps its first value. The parsed form is kept on ``req.context``
so the CSRF guard and the resource read the body once.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import falcon

FORM = "application/x-www-form-urlencoded"
MAX_BODY = 8 * 1024
MAX_FIELDS = 32


def parse_form(body: bytes) -> dict[str, str]:
    """The fields of an urlencoded body; ValueError when it has too many."""
    text = body.decode("utf-8", errors="replace")
    fields: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS):
        fields.setdefault(name, value)
    return fields


def read_form(req: falcon.Request) -> dict[str, str]:
    """The request's form fields (read once, then cached); 413/415/400 as Falcon errors."""
    cached: dict[str, str] | None = req.context.get("form")
    if cached is not None:
        return cached
    media = (req.content_type or "").split(";", 1)[0].strip().lower()
    if req.content_length and media != FORM:
        raise falcon.HTTPUnsupportedMediaType(description="Send the form as a web page does.")
    if (req.content_length or 0) > MAX_BODY:
        raise falcon.HTTPContentTooLarge(description="That form is far larger than any here.")
    try:
        fields = parse_form(req.bounded_stream.read())
    except ValueError:
        raise falcon.HTTPBadRequest(description="That form has too many fields.") from None
    req.context.form = fields
    return fields
