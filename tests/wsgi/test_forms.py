"""The forms pipe: a form's body parsed once, within limits; anything else refused, not raised."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parlor.wsgi.errors import Errors
from parlor.wsgi.forms import FILES, FORM, MULTIPART, URLENCODED, FormData, Forms
from parlor.wsgi.types import StartResponse, WSGIApp, WSGIEnvironment
from parlor.wsgi.uploads import StoredFile, UploadStore
from tests.wsgi.wsgi_support import drive

BOUNDARY = "----parlorBoundary7MA4YWxkTrZu0gW"
MULTIPART_TYPE = f"{MULTIPART}; boundary={BOUNDARY}"


class Recorder:
    """The app behind the pipe: it keeps what it was given, and reads the body it is left."""

    def __init__(self, fail: Exception | None = None, *, fail_in_body: bool = False) -> None:
        self.calls = 0
        self.form: FormData | None = None
        self.fields: dict[str, str] | None = None  # the form, as a dict, for comparing
        self.files: Mapping[str, list[StoredFile]] | None = None
        self.contents: dict[Path, bytes] = {}
        self.listing: list[str] = []
        self.body = b""
        self.content_length = ""
        self.fail = fail
        self.fail_in_body = fail_in_body

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.calls += 1
        self.form = environ.get(FORM)
        self.fields = None if self.form is None else dict(self.form)
        self.files = environ.get(FILES)
        # What each stored file held while the app had it (the pipe deletes them after).
        self.contents = {
            path: path.read_bytes()
            for files in (self.files or {}).values()
            for path in (stored.path for stored in files)
        }
        self.listing = sorted(
            stored.path.name for files in (self.files or {}).values() for stored in files
        )
        self.content_length = environ.get("CONTENT_LENGTH", "")
        self.body = environ["wsgi.input"].read(int(self.content_length or 0))
        if self.fail is not None and not self.fail_in_body:
            raise self.fail
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self._body()

    def _body(self) -> Iterator[bytes]:
        if self.fail is not None:
            raise self.fail
        yield b"ok"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def call(
    app: WSGIApp,
    body: bytes = b"",
    content_type: str | None = URLENCODED,
    *,
    method: str = "POST",
    accept: str | None = None,
    length: str | None = None,
    validate: bool = True,
) -> Response:
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": "/form",
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)) if length is None else length,
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if accept is not None:
        environ["HTTP_ACCEPT"] = accept
    setup_testing_defaults(environ)
    statuses: list[str] = []
    headers: dict[str, str] = {}

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        headers.update(response_headers)
        return lambda data: None

    data = drive(app, environ, start_response, validate=validate)
    return Response(int(statuses[-1].split()[0]), headers, data)


def run(app: WSGIApp, environ: WSGIEnvironment) -> list[str]:
    """Call ``app`` with an environ of the test's own making; the statuses it gave."""
    setup_testing_defaults(environ)
    statuses: list[str] = []

    def start_response(status: str, *args: Any) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    result = validator(app)(environ, start_response)
    try:
        b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
    return statuses


def pipe(app: Recorder | None = None, **options: Any) -> tuple[WSGIApp, Recorder]:
    recorder = app or Recorder()
    return Forms(validator(recorder), **options), recorder


def part(
    name: str | bytes,
    value: bytes = b"",
    *,
    filename: str | None = None,
    content_type: str | None = None,
    headers: bytes | None = None,
) -> bytes:
    """One multipart part, as a browser sends it (names and filenames in UTF-8)."""
    if headers is None:
        raw_name = name if isinstance(name, bytes) else name.encode()
        headers = b'Content-Disposition: form-data; name="' + raw_name + b'"'
        if filename is not None:
            headers += b'; filename="' + filename.encode() + b'"'
        if content_type is not None:
            headers += b"\r\nContent-Type: " + content_type.encode()
    return f"--{BOUNDARY}\r\n".encode() + headers + b"\r\n\r\n" + value + b"\r\n"


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# -- urlencoded -------------------------------------------------------------------------------


def test_an_urlencoded_form_is_parsed_and_its_body_kept() -> None:
    app, seen = pipe()
    body = b"name=Ana+Lu&bet=red&bet=%E2%99%A0&empty=&bare"
    assert call(app, body).status == 200
    assert seen.form is not None
    assert seen.fields == {"name": "Ana Lu", "bet": "red", "empty": "", "bare": ""}
    assert seen.form.getall("bet") == ["red", "♠"]
    assert seen.form.getall("missing") == []
    assert seen.files == {}
    assert (seen.body, seen.content_length) == (body, str(len(body)))


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_each_method_with_a_body_is_read(method: str) -> None:
    app, seen = pipe()
    call(app, b"a=1", method=method)
    assert seen.fields == {"a": "1"}


@pytest.mark.parametrize(
    ("method", "content_type"),
    [
        ("GET", URLENCODED),
        ("DELETE", URLENCODED),
        ("POST", "application/json"),
        ("POST", "text/plain"),
        ("POST", None),
        ("POST", "application/x-www-form-urlencoded-not"),
    ],
)
def test_other_requests_pass_through_untouched(method: str, content_type: str | None) -> None:
    app, seen = pipe()
    call(app, b'{"a": 1}', content_type, method=method)
    assert seen.form is None
    assert seen.files is None
    assert seen.body == b'{"a": 1}'


def test_the_media_type_is_matched_without_regard_to_case_or_parameters() -> None:
    app, seen = pipe()
    call(app, b"a=1", "Application/X-WWW-Form-URLEncoded; charset=UTF-8")
    assert seen.fields == {"a": "1"}


def test_a_form_already_read_is_not_read_again() -> None:
    app, seen = pipe()
    call(Forms(app), b"a=1")
    assert (seen.calls, seen.fields, seen.body) == (1, {"a": "1"}, b"a=1")


def test_without_a_length_the_body_is_empty_unless_the_input_is_terminated() -> None:
    app, seen = pipe()
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": URLENCODED,
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(b"a=1"),
    }
    run(app, dict(environ))
    assert seen.fields == {}
    run(app, {**environ, "wsgi.input_terminated": True})
    assert seen.fields == {"a": "1"}


def test_a_terminated_input_longer_than_max_body_is_413() -> None:
    app, seen = pipe(max_body=10)
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": URLENCODED,
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(b"a=" + b"x" * 20),
        "wsgi.input_terminated": True,
    }
    assert run(app, environ) == ["413 Request Entity Too Large"]
    assert seen.calls == 0


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "١٢", " 3"])
def test_a_content_length_that_is_not_a_number_is_400(length: str) -> None:
    # Not validated outside: the validator itself would refuse such an environ.
    app, seen = pipe()
    assert call(app, b"a=1", length=length, validate=False).status == 400
    assert seen.calls == 0


def test_formdata_is_an_immutable_mapping() -> None:
    form = FormData([("a", "1"), ("b", "2"), ("a", "3")])
    assert (form["a"], len(form), list(form)) == ("1", 2, ["a", "b"])
    assert form.getall("a") == ["1", "3"]
    assert repr(form) == "FormData([('a', '1'), ('a', '3'), ('b', '2')])"
    assert not hasattr(form, "__setitem__")
    form.getall("a").append("x")
    assert form.getall("a") == ["1", "3"]


# -- refused input, both encodings ------------------------------------------------------------

MANY = 10_000
MP = MULTIPART_TYPE
NAMED = b'Content-Disposition: form-data; name="a"'


def headed(headers: bytes) -> bytes:
    """A multipart body of one part with these headers."""
    return multipart(part("a", b"1", headers=headers))


BAD = [
    # (id, content type, body, status)
    ("too-many-fields", URLENCODED, "&".join(f"f{i}=1" for i in range(65)).encode(), 413),
    ("10000-fields", URLENCODED, b"&".join(b"f=1" for _ in range(MANY)), 413),
    ("field-too-long", URLENCODED, b"a=" + b"x" * (16 * 1024 + 1), 413),
    ("name-too-long", URLENCODED, b"x" * (16 * 1024 + 1) + b"=1", 413),
    ("body-too-long", URLENCODED, b"a=" + b"x" * (1024 * 1024), 413),
    ("percent-not-utf8", URLENCODED, b"a=%FF", 400),
    ("raw-not-utf8", URLENCODED, b"a=\xe9t\xe9", 400),
    ("name-not-utf8", URLENCODED, b"%C3=1", 400),
    ("charset-field", URLENCODED, b"_charset_=ISO-8859-1&a=1", 400),
    ("charset-param", f"{URLENCODED}; charset=latin-1", b"a=1", 400),
    ("mp-10000-fields", MP, multipart(*[part("f", b"1")] * MANY), 413),
    ("mp-field-too-long", MP, multipart(part("a", b"x" * (16 * 1024 + 1))), 413),
    ("mp-value-not-utf8", MP, multipart(part("a", b"\xff")), 400),
    ("mp-name-not-utf8", MP, multipart(part(b"\xff")), 400),
    ("mp-charset-field", MP, multipart(part("_charset_", b"Shift_JIS")), 400),
    ("no-boundary", MULTIPART, multipart(part("a", b"1")), 400),
    ("empty-boundary", f"{MULTIPART}; boundary=", multipart(part("a", b"1")), 400),
    ("boundary-71", f"{MULTIPART}; boundary={'b' * 71}", multipart(part("a", b"1")), 400),
    ("boundary-space-end", f'{MULTIPART}; boundary="ab "', multipart(part("a", b"1")), 400),
    ("boundary-control", f'{MULTIPART}; boundary="a\tb"', multipart(part("a", b"1")), 400),
    ("boundary-other", f"{MULTIPART}; boundary=other", multipart(part("a", b"1")), 400),
    ("garbage-body", MP, b"\x00\xffnot multipart at all", 400),
    ("empty-body", MP, b"", 400),
    ("no-closing-boundary", MP, part("a", b"1"), 400),
    ("cut-in-headers", MP, part("a", b"1")[:20], 400),
    ("no-disposition", MP, headed(b"X-A: b"), 400),
    ("not-form-data", MP, headed(b'Content-Disposition: attachment; name="a"'), 400),
    ("disposition-no-name", MP, headed(b"Content-Disposition: form-data"), 400),
    ("transfer-encoded", MP, headed(NAMED + b"\r\nContent-Transfer-Encoding: base64"), 400),
    ("bad-header", MP, headed(NAMED + b"\r\nBad Header\x01: 1"), 400),
    ("many-headers", MP, headed(NAMED + b"\r\nX: 1" * 50), 400),
    ("huge-header", MP, headed(NAMED + b"\r\nX: " + b"y" * 10_000), 400),
]


@pytest.mark.parametrize(
    ("content_type", "body", "status"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_forms_are_refused_by_the_pipe(
    tmp_path: Path, content_type: str, body: bytes, status: int
) -> None:
    app, seen = pipe(uploads=UploadStore(tmp_path))
    response = call(app, body, content_type)
    assert response.status == status
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert seen.calls == 0
    assert listing(tmp_path) == []


def test_a_refusal_is_a_problem_document_for_a_json_client() -> None:
    app, _ = pipe(max_fields=2)
    response = call(app, b"a=1&b=2&c=3", accept="application/json")
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(response.body)
    assert problem == {
        "type": "about:blank",
        "title": "Request Entity Too Large",
        "status": 413,
        "detail": "a form may have at most 2 fields",
        "code": "request_entity_too_large",
    }


def test_a_body_shorter_than_its_length_is_400() -> None:
    app, seen = pipe()
    assert call(app, b"a=1", length="10").status == 400
    assert seen.calls == 0


def test_a_body_that_cannot_be_read_is_400() -> None:
    class Gone(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise ConnectionResetError("client gone")

    app, seen = pipe()
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": URLENCODED,
        "CONTENT_LENGTH": "3",
        "QUERY_STRING": "",
        "wsgi.input": Gone(),
    }
    assert run(app, environ) == ["400 Bad Request"]
    assert seen.calls == 0


def test_limits_are_the_pipes_options() -> None:
    app, seen = pipe(max_fields=3, max_field_bytes=4, max_body=20)
    assert call(app, b"a=1&b=2&c=3").status == 200
    assert call(app, b"a=1&b=2&c=3&d=4").status == 413
    assert call(app, b"a=12345").status == 413
    assert call(app, b"a=1234&b=1234&c=1234").status == 200  # 20 bytes: the most
    assert call(app, b"a=1234&b=1234&cc=1234").status == 413
    with pytest.raises(ValueError, match="positive"):
        Forms(seen, max_fields=0)


# -- multipart --------------------------------------------------------------------------------


def test_a_multipart_form_is_parsed_and_its_body_not_kept(tmp_path: Path) -> None:
    app, seen = pipe()
    body = multipart(part("name", b"Ana Lu"), part("bet", b"red"), part("bet", "♠".encode()))
    assert call(app, body, MULTIPART_TYPE).status == 200
    assert seen.form is not None
    assert seen.fields == {"name": "Ana Lu", "bet": "red"}
    assert seen.form.getall("bet") == ["red", "♠"]
    assert (seen.body, seen.content_length) == (b"", "0")


def test_a_value_may_hold_crlf_and_dashes() -> None:
    app, seen = pipe()
    value = b"line one\r\n--not the boundary\r\n--" + BOUNDARY.encode()[:-1] + b"\r\n"
    call(app, multipart(part("text", value)), MULTIPART_TYPE)
    assert seen.fields == {"text": value.decode()}


def test_a_quoted_boundary_and_an_epilogue_are_fine() -> None:
    app, seen = pipe()
    body = multipart(part("a", b"1")) + b"epilogue, ignored (RFC 2046 \xc2\xa75.1.1)"
    call(app, body, f'{MULTIPART}; boundary="{BOUNDARY}"')
    assert seen.fields == {"a": "1"}


def test_files_are_stored_and_handed_to_the_app(tmp_path: Path) -> None:
    app, seen = pipe(uploads=UploadStore(tmp_path))
    game = b'[Event "Casual"]\r\n\r\n1. e4 e5 *\r\n'
    body = multipart(
        part("title", b"My game"),
        part("game", game, filename="game.pgn", content_type="application/x-chess-pgn"),
        part("notes", b"plain", filename="notes.txt"),
    )
    assert call(app, body, MULTIPART_TYPE).status == 200
    assert seen.fields == {"title": "My game"}
    assert seen.files is not None
    (stored,) = seen.files["game"]
    assert seen.contents[stored.path] == game
    assert stored.sha256 == hashlib.sha256(game).hexdigest()
    assert (stored.size, stored.filename, stored.content_type) == (
        len(game),
        "game.pgn",
        "application/x-chess-pgn",
    )
    assert seen.files["notes"][0].content_type == "application/octet-stream"
    assert len(seen.listing) == 2  # the app had both while it answered...
    assert listing(tmp_path) == []  # ...and the pipe deleted them once it had


@pytest.mark.parametrize(
    ("client", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\x", "x"),
        ("/abs", "abs"),
        ("C:\\x", "x"),
        ("a\x00b.txt", "ab.txt"),
        ("x" * 3000 + ".pgn", "x" * 124 + ".pgn"),
        ("e\u0301checs \u265e.pgn", "\u00e9checs \u265e.pgn"),
    ],
)
def test_a_client_filename_is_only_metadata(tmp_path: Path, client: str, kept: str) -> None:
    store = UploadStore(tmp_path / "up")
    app, seen = pipe(uploads=store)
    assert call(app, multipart(part("f", b"data", filename=client)), MULTIPART_TYPE).status == 200
    assert seen.files is not None
    (stored,) = seen.files["f"]
    assert stored.filename == kept
    assert stored.path.parent == store.directory
    assert seen.listing == [stored.path.name]
    assert stored.path.stem != kept
    assert listing(store.directory) == []


def test_two_files_of_the_same_name_get_different_names(tmp_path: Path) -> None:
    app, seen = pipe(uploads=UploadStore(tmp_path))
    body = multipart(part("f", b"one", filename="same.txt"), part("f", b"two", filename="same.txt"))
    call(app, body, MULTIPART_TYPE)
    assert seen.files is not None
    one, two = seen.files["f"]
    assert one.path != two.path
    assert (seen.contents[one.path], seen.contents[two.path]) == (b"one", b"two")


def test_an_empty_file_input_is_skipped_and_an_empty_named_file_kept(tmp_path: Path) -> None:
    app, seen = pipe(uploads=UploadStore(tmp_path))
    body = multipart(
        part("unfilled", filename="", content_type="application/octet-stream"),
        part("empty", filename="empty.txt"),
        part("nameless", b"content", filename=""),
    )
    call(app, body, MULTIPART_TYPE)
    assert seen.files is not None
    assert set(seen.files) == {"empty", "nameless"}
    assert seen.files["empty"][0].size == 0
    assert seen.contents[seen.files["nameless"][0].path] == b"content"


@pytest.mark.parametrize("status", ["404 Not Found", "403 Forbidden", "303 See Other"])
def test_files_never_outlast_their_request_whatever_the_answer(tmp_path: Path, status: str) -> None:
    """An app that refused the request (no such page, no CSRF token) never looked at the
    files: the pipe deletes them all the same, or any client could fill the disk."""

    def refusing(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return iter([b"no"])  # not a list: deleted when the server closes the body

    app = Forms(refusing, uploads=UploadStore(tmp_path))
    call(app, multipart(part("f", b"data", filename="x.txt")), MULTIPART_TYPE)
    assert listing(tmp_path) == []


def test_an_empty_file_input_is_fine_without_a_store() -> None:
    app, seen = pipe()
    call(app, multipart(part("a", b"1"), part("unfilled", filename="")), MULTIPART_TYPE)
    assert (seen.fields, seen.files) == ({"a": "1"}, {})


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(multipart(part("f", b"data", filename="x.txt")), id="named"),
        pytest.param(multipart(part("f", b"data", filename="")), id="nameless"),
    ],
)
def test_a_file_is_400_where_the_form_takes_none(body: bytes) -> None:
    app, seen = pipe()
    response = call(app, body, MULTIPART_TYPE, accept="application/json")
    assert (response.status, json.loads(response.body)["detail"]) == (
        400,
        "this form takes no files",
    )
    assert seen.calls == 0


def upload_body(size: int) -> bytes:
    return multipart(
        part("first", b"fine", filename="first.txt"),
        part("big", b"x" * size, filename="big.txt"),
        part("after", b"1"),
    )


BAD_UPLOADS = [
    ("file-too-large", upload_body(1001), 413),
    ("too-many-files", multipart(*[part("f", b"1", filename=f"{i}.txt") for i in range(4)]), 413),
    ("cut-in-a-file", upload_body(500)[:-200], 400),
    ("cut-at-the-end", upload_body(500)[: -len(BOUNDARY) - 6], 400),
    (
        "bad-part-after-a-file",
        multipart(part("f", b"kept?", filename="f.txt"), part("x", headers=b"X-A: b")),
        400,
    ),
    ("fine", upload_body(10), 200),
]


@pytest.mark.parametrize(
    ("body", "status"), [b[1:] for b in BAD_UPLOADS], ids=[b[0] for b in BAD_UPLOADS]
)
def test_a_refused_upload_leaves_no_file_at_all(tmp_path: Path, body: bytes, status: int) -> None:
    app, seen = pipe(uploads=UploadStore(tmp_path, max_file_bytes=1000, max_files=3))
    assert call(app, body, MULTIPART_TYPE).status == status
    if status != 200:
        assert listing(tmp_path) == []
        assert seen.calls == 0


def test_an_upload_cut_short_by_the_client_leaves_no_file(tmp_path: Path) -> None:
    app, _ = pipe(uploads=UploadStore(tmp_path))
    body = upload_body(5000)
    assert call(app, body[:3000], MULTIPART_TYPE, length=str(len(body))).status == 400
    assert listing(tmp_path) == []


@pytest.mark.parametrize("in_body", [False, True], ids=["when-called", "in-its-body"])
def test_the_files_of_a_handler_that_raises_are_deleted(tmp_path: Path, in_body: bool) -> None:
    seen = Recorder(RuntimeError("handler failed"), fail_in_body=in_body)
    app, _ = pipe(seen, uploads=UploadStore(tmp_path))
    with pytest.raises(RuntimeError, match="handler failed"):
        call(app, upload_body(10), MULTIPART_TYPE)
    assert seen.files is not None
    assert len(seen.files["first"]) == 1  # they were stored, then deleted
    assert listing(tmp_path) == []


def test_behind_the_errors_pipe_a_raising_handler_is_a_500_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    seen = Recorder(RuntimeError("handler failed"))
    app = Errors(validator(Forms(validator(seen), uploads=UploadStore(tmp_path))))
    assert call(app, upload_body(10), MULTIPART_TYPE).status == 500
    assert listing(tmp_path) == []


def test_a_store_that_fails_leaves_nothing_and_the_error_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(source: object, target: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", failing_replace)
    app, seen = pipe(uploads=UploadStore(tmp_path))
    with pytest.raises(OSError, match="disk gone"):
        call(app, upload_body(10), MULTIPART_TYPE)
    assert listing(tmp_path) == []
    assert call(Errors(app), upload_body(10), MULTIPART_TYPE).status == 500
    assert (seen.calls, listing(tmp_path)) == (0, [])


# -- properties -------------------------------------------------------------------------------

FIELD = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@given(st.lists(st.tuples(FIELD, FIELD), max_size=64))
def test_any_urlencoded_form_round_trips(fields: list[tuple[str, str]]) -> None:
    app, seen = pipe()
    assert call(app, urlencode(fields).encode()).status == 200
    assert seen.form is not None
    for name, _ in fields:
        assert seen.form.getall(name) == [v for n, v in fields if n == name]


# A browser percent-encodes '"', CR and LF in a part's name (WHATWG); a backslash in the
# quoted name would be read as an escape.
NAME = FIELD.filter(lambda s: not set(s) & set('"\r\n\\'))


@given(st.lists(st.tuples(NAME, FIELD), max_size=20))
def test_any_multipart_form_round_trips(fields: list[tuple[str, str]]) -> None:
    app, seen = pipe()
    body = multipart(*(part(name, value.encode()) for name, value in fields))
    assert call(app, body, MULTIPART_TYPE).status == 200
    assert seen.form is not None
    for name, _ in fields:
        assert seen.form.getall(name) == [v for n, v in fields if n == name]


VALID = upload_body(100)


@settings(max_examples=300)
@given(
    st.one_of(
        st.binary(max_size=2000),
        # A valid body, cut and with bytes changed: closer to the parser's edges.
        st.tuples(
            st.integers(0, len(VALID)),
            st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=4),
        ).map(lambda cut: _mangle(VALID, *cut)),
    ),
    st.sampled_from([MULTIPART_TYPE, URLENCODED]),
)
def test_no_body_raises_out_of_the_pipe_or_leaves_a_partial_file(
    body: bytes, content_type: str
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        app, _ = pipe(uploads=UploadStore(Path(directory), max_file_bytes=50))
        status = call(app, body, content_type).status
        assert status in (200, 400, 413)
        left = listing(Path(directory))
        assert not any(name.endswith(".part") for name in left)
        if status != 200:
            assert left == []


def _mangle(body: bytes, cut: int, changes: list[tuple[int, int]]) -> bytes:
    mangled = bytearray(body)
    for index, byte in changes:
        mangled[index] = byte
    return bytes(mangled[:cut])
