"""``parlor convert``: the seed's desktop Fahrenheit ↔ Celsius converter.

The pure part first: ``parse_temperature`` reads what a person typed, ``convert`` converts
it, ``format_number`` writes a result back, and ``read_conversion`` decides which field of
the form to convert (raising the web app's ``FormInvalid`` with a message per field).

The rules, exactly:

- **Input.** A decimal number: ``-40``, ``98.6``, ``+3``, ``.5``, ``1e3``; ASCII digits, a
  point for decimals, at most ``MAX_LENGTH`` characters; a minus sign (U+2212) counts as
  "-", and a trailing unit of the field's own scale (``212 °F``, ``212F``) is allowed.
  Refused, each with its own message: anything else (``abc``, ``1,5``, ``0x10``), non-finite
  numbers (``nan``, ``inf``), a magnitude over ``LIMIT`` (a billion degrees), and anything
  below absolute zero (−459.67 °F, −273.15 °C).
- **Arithmetic** is exact, on fractions: °C = (°F − 32) × 5/9 and °F = °C × 9/5 + 32.
- **Rounding.** The exact result is rounded to as many decimal places as the input has, at
  least ``MIN_PLACES`` (2) and at most ``MAX_PLACES`` (10), half away from zero, and
  trailing zeros are dropped: 212 °F → 100 °C, 37 °C → 98.6 °F, 100 °F → 37.78 °C,
  0.001 °C → 32.002 °F; −0 is written 0.
- **Which field converts.** One field filled: that one. Both empty: refused. Both filled
  (the result page shows both, so a person edits one of them): the one that differs from
  what the page showed (its hidden ``shown_fahrenheit`` / ``shown_celsius``); if neither
  differs, the one the shown result was converted from (hidden ``source``). Both changed,
  or both filled on a form that showed nothing: refused, "clear one" (converting either
  silently would guess).

The web part: one Falcon resource at ``/`` behind the access log, errors and forms pipes.
``GET /`` shows the seed's form. ``POST /`` (the form; the forms pipe parses the body)
converts and answers 303 See Other to ``/?celsius=37`` (Post-Redirect-Get: the seed says
301, which is wrong for this), whose GET shows the result, so a reload or the back button
never posts again; a form that cannot be converted is shown again with 422 and the message
beside its field. The result lives in that URL, not on the server: no session, nothing for
two submissions at once to race over, nothing a forged cross-site post could change.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import parse_qsl, urlencode

import falcon

from parlor.tools.pages import HTML, render, security_headers
from parlor.web.formbody import read_form
from parlor.web.forms import FormInvalid, echo
from parlor.wsgi.accesslog import AccessLog
from parlor.wsgi.errors import Errors, error_document, leave_to_errors_pipe, wants_json
from parlor.wsgi.forms import FormData, Forms
from parlor.wsgi.head import HeadRouter
from parlor.wsgi.types import WSGIApp

#: The longest number read, in characters.
MAX_LENGTH = 32
#: The largest magnitude read, in degrees of either scale.
LIMIT = Decimal(1_000_000_000)
MIN_PLACES = 2
MAX_PLACES = 10
#: A number, then optionally a degree sign and a unit letter: "212", "-40", "98.6 °F", "1e3".
_INPUT = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?)"
    r"\s*°?\s*(?P<unit>[FfCc])?"
)
_NOT_FINITE = frozenset({"nan", "snan", "inf", "infinity"})


class Scale(enum.StrEnum):
    """A temperature scale; its value is the form field's name."""

    FAHRENHEIT = "fahrenheit"
    CELSIUS = "celsius"

    @property
    def symbol(self) -> str:
        return "°F" if self is Scale.FAHRENHEIT else "°C"

    @property
    def other(self) -> Scale:
        return Scale.CELSIUS if self is Scale.FAHRENHEIT else Scale.FAHRENHEIT

    @property
    def absolute_zero(self) -> Decimal:
        return Decimal("-459.67") if self is Scale.FAHRENHEIT else Decimal("-273.15")


def parse_temperature(text: str, scale: Scale) -> Decimal:
    """The temperature ``text`` says, in ``scale``; ValueError with a message for a person."""
    text = text.strip().replace("\N{MINUS SIGN}", "-")
    if not text:
        raise ValueError("Enter a temperature.")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"Use at most {MAX_LENGTH} characters.")
    if text.lstrip("+-").lower() in _NOT_FINITE:
        raise ValueError("Enter a finite number, like 98.6 or -40.")
    match = _INPUT.fullmatch(text)
    if match is None:
        if "," in text:
            raise ValueError("Use a point for decimals, like 98.6, and no thousands separators.")
        raise ValueError("Enter a number, like 98.6 or -40.")
    unit = (match["unit"] or scale.symbol[-1]).upper()
    if unit != scale.symbol[-1]:
        other = scale.other
        raise ValueError(f"That is in {other.symbol}: enter it in the {other.name.title()} field.")
    value = Decimal(match["number"])
    if abs(value) > LIMIT:
        raise ValueError(f"Enter a temperature within {LIMIT:,} degrees of zero.")
    if _written_length(value) > MAX_LENGTH:
        # 1e-400 is six characters typed, but the result page's address writes it out in
        # full (0.000…1): past the limit there, and a huge exponent would be a huge string.
        raise ValueError(f"Write it in at most {MAX_LENGTH} characters without an exponent.")
    if value < scale.absolute_zero:
        floor = _signed(format_number(scale.absolute_zero))
        raise ValueError(f"That is below absolute zero ({floor} {scale.symbol}).")
    return value


def _written_length(value: Decimal) -> int:
    """The length of :func:`format_number`'s text for ``value``, worked out without writing it."""
    if value == 0:
        return 1
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)  # finite: the pattern admits no NaN or infinity
    count = len(digits)
    if exponent >= 0:
        length = count + exponent
    elif -exponent >= count:
        length = 2 + -exponent  # "0." then the zeros and the digits
    else:
        length = count + 1  # the point
    return length + sign


def _signed(text: str) -> str:
    """A written number with a real minus sign (U+2212), as a page shows it."""
    return text.replace("-", "\N{MINUS SIGN}")


def places(value: Decimal) -> int:
    """How many decimal places a result of ``value`` keeps (see the module's rules)."""
    exponent = value.as_tuple().exponent
    typed = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return min(MAX_PLACES, max(MIN_PLACES, typed))


def round_half_away(exact: Fraction, digits: int) -> Decimal:
    """``exact`` rounded to ``digits`` decimal places, halves away from zero, exactly."""
    scaled = abs(exact) * 10**digits
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    if whole == 0:
        return Decimal(0)
    magnitude = Decimal(f"{whole}E-{digits}")
    return -magnitude if exact < 0 else magnitude


def convert(value: Decimal, source: Scale) -> Decimal:
    """``value`` in ``source`` converted to the other scale, rounded by the module's rules."""
    exact = Fraction(value)
    if source is Scale.FAHRENHEIT:
        result = (exact - 32) * Fraction(5, 9)
    else:
        result = exact * Fraction(9, 5) + 32
    return round_half_away(result, places(value))


def format_number(value: Decimal) -> str:
    """A number as a person writes it: ``100``, ``98.6``, ``-40``; never ``1E+2`` or ``-0``."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class Conversion:
    source: Scale
    value: Decimal
    result: Decimal

    def shown(self, scale: Scale) -> str:
        """What the field of ``scale`` shows: the input, or the result."""
        return format_number(self.value if scale is self.source else self.result)

    @property
    def sentence(self) -> str:
        """``212 °F = 100 °C``, with real minus signs."""
        value, result = _signed(self.shown(self.source)), _signed(self.shown(self.source.other))
        return f"{value} {self.source.symbol} = {result} {self.source.other.symbol}"

    @property
    def location(self) -> str:
        """Where the result is shown: ``/?celsius=37``."""
        return "/?" + urlencode({self.source.value: format_number(self.value)})


_FIELDS = tuple(scale.value for scale in Scale)


def read_conversion(fields: Mapping[str, str]) -> Conversion:
    """The conversion the form asks for, or ``FormInvalid`` with the message beside its field."""
    texts = {scale: fields.get(scale.value, "").strip() for scale in Scale}
    given = [scale for scale in Scale if texts[scale]]
    if not given:
        message = "Enter a temperature in one of the two fields."
        raise FormInvalid({Scale.FAHRENHEIT.value: message}, echo(fields, *_FIELDS))
    source = given[0]
    if len(given) == 2:
        changed = [s for s in Scale if texts[s] != fields.get(f"shown_{s.value}", "").strip()]
        shown_source = fields.get("source", "")
        if len(changed) == 1:
            source = changed[0]
        elif not changed and shown_source in _FIELDS:
            source = Scale(shown_source)
        else:
            message = "Both fields are filled in: clear one of them, or change only one."
            raise FormInvalid({Scale.CELSIUS.value: message}, echo(fields, *_FIELDS))
    try:
        value = parse_temperature(texts[source], source)
    except ValueError as error:
        raise FormInvalid({source.value: str(error)}, echo(fields, *_FIELDS)) from None
    return Conversion(source, value, convert(value, source))


# -- the web app ---------------------------------------------------------------------------

#: The form's fields are two numbers, two hidden copies, the source and the button.
MAX_FORM_FIELDS = 8
MAX_FORM_BODY = 4 * 1024


class ConverterPage:
    """``/``: the form (GET), its result (GET ``/?celsius=37``), and converting (POST)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        fields = FormData(parse_qsl(req.query_string, keep_blank_values=True, errors="replace"))
        if not any(name in fields for name in _FIELDS):
            self._show(resp, values={})
            return
        try:
            conversion = read_conversion(fields)
        except FormInvalid as error:
            self._show(resp, values=error.values, errors=error.errors, status=422)
            return
        self._show(resp, values={s.value: conversion.shown(s) for s in Scale}, done=conversion)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        try:
            conversion = read_conversion(read_form(req))
        except FormInvalid as error:
            self._show(resp, values=error.values, errors=error.errors, status=422)
            return
        raise falcon.HTTPSeeOther(conversion.location)

    @staticmethod
    def _show(
        resp: falcon.Response,
        *,
        values: Mapping[str, str],
        errors: Mapping[str, str] | None = None,
        done: Conversion | None = None,
        status: int = 200,
    ) -> None:
        resp.status = status
        resp.content_type = HTML
        resp.text = render(
            "convert.html",
            values=values,
            errors=errors or {},
            done=done,
            scales=list(Scale),
        )


class PageHeaders:
    """Falcon middleware: the tools' security headers on every answer, errors included."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        for name, value in security_headers():
            resp.set_header(name, value)


def _serialize_error(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    """Falcon's errors (404, 405, 415) as the pipes' own: a page, or problem+json."""
    content_type, body = error_document(
        error.status_code,
        str(error.title or ""),
        str(error.description or ""),
        as_json=wants_json(req.env),
    )
    resp.content_type = content_type
    resp.data = body


def create_falcon_app() -> falcon.App[falcon.Request, falcon.Response]:
    app = falcon.App(media_type=falcon.MEDIA_HTML, middleware=[PageHeaders()], router=HeadRouter())
    app.req_options.strip_url_path_trailing_slash = True
    app.set_error_serializer(_serialize_error)
    app.add_error_handler(Exception, leave_to_errors_pipe)
    app.add_route("/", ConverterPage())
    return app


def create_app(*, write: Callable[[str], object] | None = None) -> WSGIApp:
    """The converter behind its pipeline, outermost first; ``write`` gets the log's lines."""
    pipeline: Iterable[Callable[[WSGIApp], WSGIApp]] = [
        lambda app: AccessLog(app, write=write),
        Errors,
        lambda app: Forms(app, max_fields=MAX_FORM_FIELDS, max_body=MAX_FORM_BODY),
    ]
    app: WSGIApp = create_falcon_app()
    for pipe in reversed(list(pipeline)):
        app = pipe(app)
    return app
