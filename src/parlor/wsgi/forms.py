"""Forms: read an HTML form's body once, before the app, within fixed limits.

For a POST, PUT or PATCH whose Content-Type is
``application/x-www-form-urlencoded`` or ``multipart/form-data`` (RFC 7578),
the pipe reads and parses the body and puts in the environ:

    FORM  = "parlor.form"   a FormData: the first value of each field by name
                            (a Mapping[str, str]), and ``getall(name)``
    FILES = "parlor.files"  a Mapping[str, list[StoredFile]] of the file parts,
                            streamed to the ``uploads`` store (parlor.wsgi.uploads)

Afterwards ``wsgi.input`` holds the urlencoded body again (it is small), so
an app that reads it still works; a multipart body is not kept (its files are
on disk): ``wsgi.input`` is empty and CONTENT_LENGTH is "0". Other requests,
and a request already parsed, pass through untouched. Without a
Content-Length a body is empty (PEP 3333), unless the server promises an end
of input (``wsgi.input_terminated``).

Text is UTF-8, the only encoding parlor's pages use: bytes that are not UTF-8
are refused, never replaced, and so is a ``_charset_`` field (HTML's way of
naming the form's encoding) or a ``charset`` parameter naming another.

A refused form is answered by the pipe itself, as problem+json or an HTML
page as the client prefers (``parlor.wsgi.errors.error_response``):

    400 Bad Request        a bad Content-Length, or a body shorter than it; a
                           missing or malformed boundary (RFC 2046 §5.1.1), a
                           malformed part, a body cut before its closing
                           boundary; text not UTF-8; a file where none is taken
    413 Content Too Large  a body over ``max_body``, more than ``max_fields``
                           fields (parts, in multipart), a name or value over
                           ``max_field_bytes``; a file the store finds too large,
                           or one too many

A file part with an empty filename and no content is a file input left
empty (HTML sends one anyway) and is skipped. The stored files are the app's
for the length of the request: once its response is done (or its handler
raised), this pipe deletes any still in the upload directory. An app that
keeps a file moves it out first; nothing else a client sends outlasts its
request, whatever the app answered (a 404, a 403 for a missing CSRF token).
python-multipart parses the multipart bytes; its warnings about
malformed bodies, which any client can cause, are silenced: the 400 says it.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from parlor.wsgi.closing import OnClose
from parlor.wsgi.errors import error_response
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment
from parlor.wsgi.uploads import (
    StoredFile,
    Upload,
    UploadBatch,
    UploadError,
    UploadStore,
    discard,
)

FORM = "parlor.form"
FILES = "parlor.files"
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

_METHODS = frozenset({"POST", "PUT", "PATCH"})
_CHUNK = 64 * 1024
#: RFC 2046 §5.1.1: 1 to 70 bchars, the last not a space.
_BOUNDARY = re.compile(rb"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
#: The WHATWG Encoding Standard's labels for UTF-8.
_UTF8 = frozenset(
    {"utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"}
)
_TITLES = {400: "This form cannot be read", 413: "This form is too large"}
_QUIET = logging.Logger("parlor.wsgi.forms.multipart")
_QUIET.disabled = True


class FormData(Mapping[str, str]):
    """A form's fields, immutable: the first value of each name, and ``getall``."""

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            values.setdefault(name, []).append(value)
        self._values = {name: tuple(each) for name, each in values.items()}

    def __getitem__(self, name: str) -> str:
        return self._values[name][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def getall(self, name: str) -> list[str]:
        """Every value of the field ``name``, in order; [] if the form has none."""
        return list(self._values.get(name, ()))

    def __repr__(self) -> str:
        return f"FormData({[(n, v) for n, vs in self._values.items() for v in vs]!r})"


class _Refused(Exception):
    """A form this pipe answers itself: 400 or 413; the message is the client's detail."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


class Forms:
    """A pipe that parses a form's body once and hands the app its fields and files."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        max_fields: int = 64,
        max_field_bytes: int = 16 * 1024,
        max_body: int = 1024 * 1024,
        uploads: UploadStore | None = None,
    ) -> None:
        if min(max_fields, max_field_bytes, max_body) < 1:
            raise ValueError("the form limits must be positive")
        self.app = app
        self.max_fields = max_fields
        self.max_field_bytes = max_field_bytes
        self.max_body = max_body
        self._uploads = uploads

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in _METHODS or FORM in environ:
            return self.app(environ, start_response)
        media, params = parse_options_header(environ.get("CONTENT_TYPE", ""))
        if media not in (URLENCODED.encode(), MULTIPART.encode()):
            return self.app(environ, start_response)
        batch = self._uploads.batch() if self._uploads is not None else None
        try:
            form, files = self._read(environ, media == MULTIPART.encode(), params, batch)
        except (_Refused, UploadError) as refusal:
            if batch is not None:
                batch.discard()
            status = refusal.status
            title = _TITLES.get(status, _TITLES[400])
            return error_response(environ, start_response, status, title, str(refusal))
        except BaseException:
            if batch is not None:
                batch.discard()
            raise
        environ[FORM] = form
        environ[FILES] = files
        stored = batch.files if batch is not None else []
        if not stored:
            return self.app(environ, start_response)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            discard(stored)
            raise
        if isinstance(body, list | tuple):
            discard(stored)  # the response is complete: the files have done their work
            return body
        return OnClose(body, lambda: discard(stored))

    def _read(
        self,
        environ: WSGIEnvironment,
        multipart: bool,
        params: dict[bytes, bytes],
        batch: UploadBatch | None,
    ) -> tuple[FormData, Mapping[str, list[StoredFile]]]:
        charset = params.get(b"charset", b"").decode("latin-1")
        if charset and charset.lower() not in _UTF8:
            raise _Refused(400, "send the form in UTF-8")
        chunks = _body(environ, self.max_body)
        files: Mapping[str, list[StoredFile]] = MappingProxyType({})
        if multipart:
            reader = _Multipart(self, params.get(b"boundary", b""), batch)
            for chunk in chunks:
                reader.feed(chunk)
            form, files = reader.result()
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(), "0"
        else:
            body = b"".join(chunks)
            form = self._urlencoded(body)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        declared = form.get("_charset_", "").strip().lower()
        if declared and declared not in _UTF8:
            raise _Refused(400, "send the form in UTF-8")
        return form, files

    def _urlencoded(self, body: bytes) -> FormData:
        # Latin-1 maps each byte to one character and back, so parse_qsl's
        # percent-decoding yields the sent bytes, which are then decoded as
        # UTF-8, strictly (parse_qsl's own decoding would replace bad bytes).
        try:
            pairs = parse_qsl(
                body.decode("latin-1"),
                keep_blank_values=True,
                encoding="latin-1",
                max_num_fields=self.max_fields,
            )
        except ValueError:
            raise _Refused(413, f"a form may have at most {self.max_fields} fields") from None
        limit = self.max_field_bytes
        return FormData(
            (_text(name.encode("latin-1"), limit), _text(value.encode("latin-1"), limit))
            for name, value in pairs
        )


def _text(data: bytes | bytearray, limit: int) -> str:
    """A field's name or value as text: 413 if over ``limit`` bytes, 400 if not UTF-8."""
    if len(data) > limit:
        raise _Refused(413, f"a form field may be at most {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "the form's text is not UTF-8") from None


def _body(environ: WSGIEnvironment, max_body: int) -> Iterator[bytes]:
    """The request body in chunks, no more than ``max_body`` bytes in all."""
    raw: str = environ.get("CONTENT_LENGTH") or ""
    length: int | None = None
    if raw:
        if not (raw.isascii() and raw.isdigit()):
            raise _Refused(400, "the Content-Length is not a number")
        if len(raw.lstrip("0")) > len(str(max_body)) or int(raw) > max_body:
            raise _Refused(413, f"a form may be at most {max_body} bytes")
        length = int(raw)
    elif not environ.get("wsgi.input_terminated"):
        length = 0  # no length and no promise of an end of input: no body (PEP 3333)
    remaining = max_body + 1 if length is None else length
    stream: Any = environ["wsgi.input"]
    while remaining > 0:
        try:
            chunk: bytes = stream.read(min(_CHUNK, remaining))
        except OSError:
            raise _Refused(400, "the body could not be read") from None
        if not chunk:
            break
        remaining -= len(chunk)
        if length is None and remaining <= 0:
            raise _Refused(413, f"a form may be at most {max_body} bytes")
        yield chunk
    if length is not None and remaining > 0:
        raise _Refused(400, "the body ended before its Content-Length")


class _Multipart:
    """The state of one multipart body being parsed: the parser's callbacks."""

    def __init__(self, forms: Forms, boundary: bytes, batch: UploadBatch | None) -> None:
        if not _BOUNDARY.fullmatch(boundary):
            raise _Refused(400, "a multipart form needs a boundary of 1 to 70 safe characters")
        self._max_fields = forms.max_fields
        self._max_field_bytes = forms.max_field_bytes
        self._batch = batch
        self._fields: list[tuple[str, str]] = []
        self._files: dict[str, list[StoredFile]] = {}
        self._parts = 0
        self._ended = False
        self._begin_part()
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": lambda data, start, end: self._header.extend(data[start:end]),
                "on_header_value": lambda data, start, end: self._data.extend(data[start:end]),
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )
        self._parser.logger = _QUIET

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError:
            raise _Refused(400, "the multipart body is malformed") from None

    def result(self) -> tuple[FormData, Mapping[str, list[StoredFile]]]:
        if not self._ended:
            raise _Refused(400, "the multipart body ended before its closing boundary")
        return FormData(self._fields), MappingProxyType(self._files)

    def _begin_part(self) -> None:
        self._header = bytearray()  # the name of the header being read
        self._data = bytearray()  # its value; after the headers, a field's value
        self._headers: dict[bytes, bytes] = {}
        self._field = ""
        self._filename: str | None = None  # None: a field, not a file
        self._content_type = ""
        self._upload: Upload | None = None

    def _on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > self._max_fields:
            raise _Refused(413, f"a form may have at most {self._max_fields} fields")
        self._begin_part()

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header).lower()] = bytes(self._data).strip(b" \t")
        self._header, self._data = bytearray(), bytearray()

    def _on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise _Refused(400, "each part needs Content-Disposition: form-data; name=…")
        # RFC 7578 §4.7: senders do not encode parts; parlor decodes none.
        encoding = self._headers.get(b"content-transfer-encoding", b"binary").lower()
        if encoding not in (b"binary", b"8bit", b"7bit"):
            raise _Refused(400, "a part may not have a Content-Transfer-Encoding")
        self._field = _text(options[b"name"], self._max_field_bytes)
        filename = options.get(b"filename")
        if filename is not None:
            # Metadata only, sanitized by the store: a bad byte need not refuse the file.
            self._filename = filename.decode("utf-8", "replace")
            self._content_type = self._headers.get(b"content-type", b"").decode("latin-1")
            if self._filename:
                self._begin_upload()

    def _begin_upload(self) -> Upload:
        if self._batch is None:
            raise _Refused(400, "this form takes no files")
        self._upload = self._batch.begin(self._filename or "", self._content_type)
        return self._upload

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._filename is None:
            self._data.extend(data[start:end])
            if len(self._data) > self._max_field_bytes:  # here, not at the end: memory
                raise _Refused(413, f"a form field may be at most {self._max_field_bytes} bytes")
            return
        upload = self._upload or self._begin_upload()  # a file with content but no name
        upload.write(data[start:end])

    def _on_part_end(self) -> None:
        if self._filename is None:
            self._fields.append((self._field, _text(self._data, self._max_field_bytes)))
        elif self._upload is not None:
            self._files.setdefault(self._field, []).append(self._upload.finish())

    def _on_end(self) -> None:
        self._ended = True
