"""JSON in and out of the service, through the wire's structs (msgspec).

Answers are wire structs (``parlor.wire.roulette``), or plain dicts for the
fixed documents, encoded by one msgspec encoder: Falcon's ``resp.media`` goes
through ``media_handler()``. Request bodies are decoded straight into their
struct, which validates them on the way; ``decode`` turns what msgspec refuses
into the problem a client can act on: 400 for bytes that are not JSON, 422 for
JSON of the wrong shape, naming the member at fault.

msgspec replaced orjson plus hand-written checks: one pass over the bytes
both parses and validates, against the same definition the OpenAPI document
and the client use (BENCHMARKS.md has the bet path's figures, before and
after).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import falcon
import msgspec
import msgspec.inspect as types

from parlor.roulette.bets import BetKind
from parlor.service.problems import Problem
from parlor.text import LINE_PATTERN
from parlor.wire.roulette import PROPOSITION_PATTERN

T = TypeVar("T")

ENCODER = msgspec.json.Encoder()

# msgspec names the member at fault in one of two ways.
_AT_PATH = re.compile(r" - at `\$\.(\w+)")
_NAMED = re.compile(r"field `(\w+)`")
_UNKNOWN = "Object contains unknown field `"


def _what(kind: types.Type) -> str:
    """What a value of ``kind`` must be, for a person: "a whole number from 1 to 36"."""
    if isinstance(kind, types.Metadata):
        return _what(kind.type)
    if isinstance(kind, types.UnionType):
        shown = [_what(t) for t in kind.types if not isinstance(t, types.NoneType)]
        nullable = len(shown) < len(kind.types)
        return " or ".join(shown) + (" (or null for the default)" if nullable else "")
    if isinstance(kind, types.IntType):
        if kind.ge is not None and kind.le is not None:
            return f"a whole number from {kind.ge} to {kind.le}"
        return "a whole number"
    if isinstance(kind, types.StrType):
        if kind.pattern == PROPOSITION_PATTERN:
            return "one of " + ", ".join(BetKind) + ", in any letter case"
        if kind.pattern == LINE_PATTERN:
            return (
                f"text of {kind.min_length} to {kind.max_length} characters on one line, with"
                " no space at either end and no control or invisible characters"
            )
        return "text"
    if isinstance(kind, types.EnumType):
        return "one of " + ", ".join(str(member.value) for member in kind.cls)
    if isinstance(kind, types.LiteralType):
        return " or ".join(f'"{value}"' for value in kind.values)
    if isinstance(kind, types.VarTupleType):
        most = f"at most {kind.max_length} " if kind.max_length is not None else ""
        return f"a list of {most}items, each {_what(kind.item_type)}"
    if isinstance(kind, types.BoolType):
        return "true or false"
    return "as documented"


def _sentence(into: type, field: str, message: str) -> str:
    """msgspec's ``message`` about ``field`` of ``into``, said from the struct's definition."""
    if message.startswith("Object missing required field"):
        return f"{field} is required"
    info = types.type_info(into)
    members = (
        {f.encode_name: f.type for f in info.fields} if isinstance(info, types.StructType) else {}
    )
    if field not in members:
        if not members:
            return f"{field} is not read here: send an empty body or {{}}"
        return f"{field} is not a member of this body; its members are {', '.join(members)}"
    return f"{field} must be {_what(members[field])}"


_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


_FLOAT_FOR_INT = ", got `float`"  # "Expected `int`, …" or "Expected `int | null`, …"


def _whole_numbers(value: Any) -> Any:
    """``value`` with every float that is a whole number (10.0, 1e2) as an int."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    return value


def encode(value: Any) -> bytes:
    return ENCODER.encode(value)


def decode(raw: bytes, into: type[T], *, code: str = "invalid_request") -> T:
    """``raw`` (an empty body reads as ``{}``) as ``into``, or the Problem saying why not.

    ``code`` is the problem's code when a member is at fault; a body that is
    not an object at all is ``invalid_request``.
    """
    decoder = _DECODERS.get(into)
    if decoder is None:
        decoder = _DECODERS[into] = msgspec.json.Decoder(into)
    raw = raw if raw.strip() else b"{}"
    try:
        try:
            value: T = decoder.decode(raw)
        except msgspec.ValidationError as error:
            if _FLOAT_FOR_INT not in str(error):
                raise
            # JSON has one kind of number: 10.0 is the integer 10 (JSON Schema agrees),
            # which msgspec's one-pass decode refuses. The slow path, for these alone;
            # a body nested too deeply to walk is refused as the first pass found it.
            try:
                value = msgspec.convert(_whole_numbers(msgspec.json.decode(raw)), into)
            except RecursionError:
                raise error from None
        return value
    except msgspec.ValidationError as error:
        message = str(error)
        if message.startswith(_UNKNOWN):  # the key is the client's: it may hold anything
            field: str | None = message[len(_UNKNOWN) :].rsplit("`", 1)[0]
        else:
            found = _AT_PATH.search(message) or _NAMED.search(message)
            field = found.group(1) if found else None
        if field is not None:
            detail = _sentence(into, field, message)
        else:  # not the object at all: no member is at fault
            said = _AT_PATH.sub("", message).replace("`", "")
            detail = f"the body must be a JSON object as documented ({said[0].lower()}{said[1:]})"
            code = "invalid_request"
        raise Problem(falcon.HTTP_422, detail, code=code, field=field) from None
    except msgspec.DecodeError as error:
        raise Problem(
            falcon.HTTP_400, f"the body is not valid JSON: {error}", code="malformed_json"
        ) from None
    except RecursionError:
        raise Problem(
            falcon.HTTP_400, "the body is nested too deeply to read", code="malformed_json"
        ) from None


def media_handler() -> falcon.media.JSONHandler:
    """Falcon's JSON handler for ``resp.media``: msgspec, which also encodes structs."""
    return falcon.media.JSONHandler(dumps=ENCODER.encode, loads=msgspec.json.decode)
