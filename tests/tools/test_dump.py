"""``parlor dump``: every request shown back, escaped, bounded and logged.

First in-process, through ``wsgiref.validate`` and environs built as the front door builds
them; then against the real command on loopback: ``http.client`` and raw sockets sending
hostile, oversized, truncated and stalled requests.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from typing import Any
from wsgiref.validate import validator

import pytest

from parlor.run.request import call_app
from parlor.tools.dump import DumpApp, create_app, log_line, read_body, read_request
from parlor.tools.pages import visible
from tests.tools.server_support import (
    ToolProcess,
    answers_promptly,
    environ_of,
    exchange,
    request,
    stalled,
    status_of,
)

HOSTILE = "<script>window.__pwned=1</script>"
QUOTES = "\"'><img src=x onerror=alert(1)>"


def dump_in_process(**request: Any) -> tuple[int, dict[str, str], bytes, list[str]]:
    lines: list[str] = []
    app = validator(create_app(max_body=1000, write=lines.append))
    status, headers, body = call_app(app, environ_of(**request))
    return status, {name.lower(): value for name, value in headers}, body, lines


def as_json(**request: Any) -> Any:
    query = request.pop("query", "")
    status, headers, body, _ = dump_in_process(query=f"{query}&format=json".lstrip("&"), **request)
    assert status == 200
    assert headers["content-type"] == "application/json"
    return json.loads(body)


# -- in-process ------------------------------------------------------------------------------


def test_json_is_the_request_itself() -> None:
    body = b'{"bet": [1, 2]}'
    found = as_json(
        method="PUT",
        path="/any/where",
        query="x=1&x=2&y=",
        headers=[("content-type", "application/json"), ("x-thing", "a, b")],
        body=body,
    )
    assert found["method"] == "PUT"
    assert found["path"] == "/any/where"
    assert found["target"] == "/any/where?x=1&x=2&y=&format=json"
    assert found["url"] == "http://127.0.0.1:8008/any/where?x=1&x=2&y=&format=json"
    assert found["args"] == [["x", "1"], ["x", "2"], ["y", ""], ["format", "json"]]
    assert found["http_version"] == "HTTP/1.1"
    assert found["headers"]["X-Thing"] == "a, b"
    assert found["headers"]["Content-Type"] == "application/json"
    assert found["headers"]["Content-Length"] == str(len(body))
    assert found["origin"] == "127.0.0.1"
    assert found["body"] == {
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "is_utf8": True,
        "text": body.decode(),
    }
    assert found["json"] == {"bet": [1, 2]}
    assert found["form"] is None


def test_a_form_body_is_shown_as_its_fields() -> None:
    found = as_json(
        method="POST",
        headers=[("content-type", "application/x-www-form-urlencoded")],
        body=b"a=1&b=%E2%82%AC&c",
    )
    assert found["form"] == [["a", "1"], ["b", "€"], ["c", ""]]


def test_accept_json_answers_json_and_format_html_wins() -> None:
    _, headers, _, _ = dump_in_process(headers=[("accept", "application/json")])
    assert headers["content-type"] == "application/json"
    _, headers, _, _ = dump_in_process(
        query="format=html", headers=[("accept", "application/json")]
    )
    assert headers["content-type"].startswith("text/html")
    assert headers["vary"] == "Accept"


def test_a_body_that_is_not_utf8_is_shown_safely_with_its_size_and_hash() -> None:
    body = b"\xff\xfe\x00ab\x1b[31m"
    found = as_json(method="POST", body=body)
    assert found["body"]["is_utf8"] is False
    assert found["body"]["size"] == len(body)
    assert found["body"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert found["body"]["text"] == body.decode("utf-8", "replace")
    _, _, page, lines = dump_in_process(method="POST", body=body)
    text = page.decode()
    assert "not UTF-8" in text
    assert "ff fe 00 61 62 1b" in text  # the first bytes in hex
    assert "\x00" not in text
    assert "\x1b" not in text
    assert "\N{SYMBOL FOR NULL}" in text
    assert "\N{SYMBOL FOR ESCAPE}" in text
    assert lines[0].rstrip("\n").endswith(f"body={len(body)}B binary")


def test_hostile_path_query_and_headers_are_escaped() -> None:
    _, headers, page, lines = dump_in_process(
        path=f"/{HOSTILE}",
        query="q=%3Cb%3E",
        headers=[("x-evil", HOSTILE), ("x-quotes", QUOTES), ("user-agent", f"{QUOTES}")],
    )
    text = page.decode()
    assert "<script" not in text
    assert "<img" not in text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in text
    assert "&#34;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "/%3Cscript%3Ewindow.__pwned=1%3C/script%3E" in text  # the target, re-encoded
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none'
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert len(lines) == 1
    assert lines[0].count("\n") == 1


def test_a_path_that_is_not_utf8_shows_replacement_and_its_bytes() -> None:
    # PEP 3333's PATH_INFO is the path's bytes as latin-1: here 0xFF 0xFE, then "é".
    dump = read_request({"PATH_INFO": "/\xff\xfe/caf\xc3\xa9", "QUERY_STRING": ""}, b"")
    assert not dump.path_is_utf8
    assert dump.path == "/\ufffd\ufffd/café"
    assert dump.target == "/%FF%FE/caf%C3%A9"


def test_the_log_is_one_line_that_no_header_can_break() -> None:
    dump = read_request(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/a b\r\nforged 200",
            "QUERY_STRING": "x=\r\n",
            "HTTP_X_EVIL": "a\r\nforged: 1\x1b[2J",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
        },
        b"",
    )
    line = log_line(dump, "200", 1.25)
    assert line.endswith("\n")
    assert line.count("\n") == 1
    assert "\r" not in line
    assert "\x1b" not in line
    assert line.startswith(
        "GET /a%20b%0D%0Aforged%20200?x=%0D%0A 200 1.2ms HTTP/1.1 from 127.0.0.1"
    )
    assert json.loads(line.split("headers=", 1)[1].rsplit(" body=", 1)[0]) == {
        "X-Evil": "a\r\nforged: 1\x1b[2J"
    }


class Unreadable(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("a body over the limit must not be read")


def test_a_body_over_the_limit_is_413_without_reading_it() -> None:
    environ = environ_of(method="POST", body=b"")
    environ["CONTENT_LENGTH"] = "1001"
    environ["wsgi.input"] = Unreadable()
    lines: list[str] = []
    status, headers, body = call_app(DumpApp(max_body=1000, write=lines.append), environ)
    assert status == 413
    assert headers[0] == ("Content-Type", "application/problem+json")
    assert json.loads(body)["code"] == "body_too_large"
    assert " 413 " in lines[0]


def test_a_body_without_a_length_is_read_only_up_to_the_limit() -> None:
    environ = environ_of(method="POST", body=b"x" * 5000)
    del environ["CONTENT_LENGTH"]  # the server promises an end of input instead
    status, _, _ = call_app(DumpApp(max_body=1000, write=lambda line: None), environ)
    assert status == 413
    environ = environ_of(method="POST", body=b"x" * 1000)
    del environ["CONTENT_LENGTH"]
    status, _, _body = call_app(DumpApp(max_body=1000, write=lambda line: None), environ)
    assert status == 200


@pytest.mark.parametrize("body", [b"{not json", b"[" * 100_000 + b"]" * 100_000])
def test_a_json_body_that_does_not_parse_is_text_only(body: bytes) -> None:
    environ = environ_of(method="POST", headers=[("content-type", "application/problem+json")])
    dump = read_request(environ, body)
    assert dump.json is None
    assert dump.body.text == body.decode()


def test_without_a_length_or_an_end_there_is_no_body() -> None:
    environ = environ_of(method="POST", body=b"unseen")
    del environ["CONTENT_LENGTH"]
    del environ["wsgi.input_terminated"]
    assert read_body(environ, 1000) == b""
    with pytest.raises(ValueError, match="negative"):
        DumpApp(max_body=-1, write=print)


def test_head_has_the_headers_and_no_body() -> None:
    status, headers, body, lines = dump_in_process(method="HEAD")
    assert status == 200
    assert body == b""
    assert int(headers["content-length"]) > 1000  # the page's length, as GET would have it
    assert lines[0].startswith("HEAD / 200")


def test_control_characters_become_symbols() -> None:
    assert visible("a\x00b\tc\n\x7f\x85") == "a\u2400b\tc\n\u2421\ufffd"


# -- the real command --------------------------------------------------------------------


MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def dump() -> Iterator[ToolProcess]:
    server = ToolProcess(
        "dump",
        "--max-body",
        str(MAX_BODY),
        env={"PARLOR_BODY_TIMEOUT": "2"},
        stopped_line="parlor dump stopped",
    )
    try:
        server.wait_ready()
        yield server
        server.stop()  # Ctrl+C: exit 0, "parlor dump stopped", nothing left
    finally:
        server.close()


def lines_about(server: ToolProcess, marker: str, count: int = 1) -> list[str]:
    """The log lines naming ``marker``, once ``count`` of them are out (written every 50 ms)."""
    found = server.wait_for(
        lambda lines: sum(marker in line for line in lines) >= count, f"{count} x {marker}", 10
    )
    return [line for line in found if marker in line]


def test_it_says_where_it_listens(dump: ToolProcess) -> None:
    assert f"parlor dump listening on http://127.0.0.1:{dump.port}/" in dump.lines


def test_any_method_and_path_is_dumped_as_json(dump: ToolProcess) -> None:
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PURGE"):
        status, _headers, body = request(
            dump.port,
            method,
            f"/{method.lower()}/x?format=json",
            body=b"payload" if method != "GET" else None,
            headers={"X-Probe": method},
        )
        assert status == 200, (method, body)
        found = json.loads(body)
        assert found["method"] == method
        assert found["path"] == f"/{method.lower()}/x"
        assert found["headers"]["X-Probe"] == method
        assert found["http_version"] == "HTTP/1.1"
    lines = lines_about(dump, "X-Probe", 7)
    assert len(lines) == 7  # one line each
    assert lines[-1].startswith("PURGE /purge/x?format=json 200 ")


def test_hostile_path_and_header_are_escaped_on_the_page(dump: ToolProcess) -> None:
    path = "/%3Cscript%3Ewindow.__pwned=1%3C/script%3E/%22quoted%22"
    status, headers, body = request(
        dump.port, "GET", path, headers={"X-Evil": HOSTILE, "X-Quotes": QUOTES}
    )
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;/&#34;quoted&#34;" in page  # the path
    assert f"<code>{HOSTILE.replace('<', '&lt;').replace('>', '&gt;')}</code>" in page


def test_a_raw_hostile_request_line_is_refused_or_escaped(dump: ToolProcess) -> None:
    raw = f"GET /{HOSTILE} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    answer = exchange(dump.port, raw)
    assert status_of(answer) in (200, 400), answer[:200]
    assert b"<script>" not in answer.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rInjected: 1\r\n\r\n",  # a bare CR
        # RFC 9112 §2.2 lets a server take a bare LF as a line's end: then "Injected" is a
        # header of its own, and is shown as one; it never reaches the answer's headers.
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nInjected: 1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n Injected: 1\r\n\r\n",  # obs-fold
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",  # NUL
        b"GET /\r\nInjected: 1 HTTP/1.1\r\nHost: x\r\n\r\n",  # CRLF in the target
        b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",  # raw bytes that are not UTF-8
        b"GET /%ff%fe%00 HTTP/1.1\r\nHost: x\r\n\r\n",  # the same, percent-encoded
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xc3\xa9 \xff\r\n\r\n",  # 8-bit header bytes
    ],
)
def test_crlf_and_byte_tricks_never_forge_a_header_or_a_log_line(
    dump: ToolProcess, head: bytes
) -> None:
    before = len(dump.lines)
    answer = exchange(dump.port, head.replace(b"GET /", b"GET /?format=json&", 1))
    status = status_of(answer)
    assert status in (200, 400), answer[:300]
    answer_head, _, body = answer.partition(b"\r\n\r\n")
    assert b"injected" not in answer_head.lower()
    if status == 200:
        found = json.loads(body)
        assert all("\r" not in value and "\n" not in value for value in found["headers"].values())
        assert "\ufffd" in found["path"] or found["path"] == "/"  # bad bytes: replaced
    marker = f"/after-trick-{before}"
    answers_promptly(dump.port, marker)
    lines_about(dump, marker)
    # Every line the server printed since is a whole log line of its own.
    for line in dump.lines[before:]:
        assert re.match(r"^[A-Z]+ \S+ \d{3} \d+\.\dms", line), line


def test_an_oversized_body_is_413_and_the_server_still_serves(dump: ToolProcess) -> None:
    status, headers, body = request(dump.port, "POST", "/big", body=b"x" * (MAX_BODY + 1))
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["code"] == "body_too_large"
    # Far over the limit: refused on its Content-Length alone, the body never sent.
    answer = exchange(
        dump.port, b"POST /huge HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n"
    )
    assert status_of(answer) == 413
    # Chunked, growing past the limit.
    chunk = b"x" * 8192
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(10)) + b"0\r\n\r\n"
    answer = exchange(
        dump.port,
        b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked,
    )
    assert status_of(answer) == 413
    status, _, body = request(dump.port, "POST", "/fits?format=json", body=b"y" * MAX_BODY)
    assert status == 200
    assert json.loads(body)["body"]["size"] == MAX_BODY


def test_truncated_and_stalled_bodies_stop_nobody(dump: ToolProcess) -> None:
    head = b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
    # Truncated: Content-Length larger than what is sent, then the connection closes.
    for _ in range(8):
        with socket.create_connection(("127.0.0.1", dump.port), timeout=5) as sock:
            sock.sendall(head + b"only ten b")
    # Stalled: more clients than the app has request threads, each holding its body back.
    stallers = [stalled(dump.port, head, b"partial") for _ in range(12)]
    try:
        took = answers_promptly(dump.port, "/while-stalled", within=1.0)
        assert took < 1.0
        # Stalled headers too: a request line and nothing more.
        half = [stalled(dump.port, b"GET /never HTTP/1.1\r\nHost: x\r\n") for _ in range(8)]
        try:
            answers_promptly(dump.port, "/while-half-stalled", within=1.0)
        finally:
            for sock in half:
                sock.close()
    finally:
        for sock in stallers:
            sock.close()
    answers_promptly(dump.port, "/after-stalls")
    assert not any("Traceback" in line for line in dump.lines)


@pytest.mark.slow  # waits out the 2 s body deadline
def test_a_stalled_body_gets_408_at_its_deadline(dump: ToolProcess) -> None:
    sock = stalled(dump.port, b"POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
    with sock:
        started = time.monotonic()
        sock.settimeout(10)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        assert status_of(answer) == 408
        assert 1.5 < time.monotonic() - started < 6  # PARLOR_BODY_TIMEOUT=2


def test_the_command_and_its_door() -> None:
    from typer.testing import CliRunner

    from parlor.cli import app
    from parlor.run import tooldoor
    from parlor.run.frontdoor import FrontDoor

    shown = CliRunner().invoke(app, ["dump", "--help"], terminal_width=100)
    assert shown.exit_code == 0
    assert "--max-body" in shown.output
    assert "format=json" in shown.output
    door = tooldoor.dump()
    assert isinstance(door, FrontDoor)
    assert door.json_only  # its own 413 is a problem document, whoever asks
    setup = tooldoor.dump_app(lambda topic, version: None)
    status, _, _ = call_app(setup.app, environ_of())
    assert status == 200


def test_the_command_serves_its_door_on_one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wiring, without serving: what ``parlor dump`` hands Granian, and a busy port."""
    from typer.testing import CliRunner

    from parlor.cli import app
    from parlor.run import tooldoor
    from parlor.run.serve import PortInUse

    served: list[dict[str, Any]] = []
    monkeypatch.setattr("os.environ", {"PARLOR_WORKERS": "4"})
    monkeypatch.setattr(tooldoor, "run_front_door", lambda target, **how: served.append(how))
    result = CliRunner().invoke(app, ["dump", "--port", "18001", "--max-body", "10"])
    assert result.exit_code == 0, result.output
    assert served[0]["port"] == 18001
    assert served[0]["workers"] == 1
    assert served[0]["label"] == "dump"
    assert os.environ["PARLOR_MAX_BODY_BYTES"] == "10"  # what its workers will read
    assert os.environ["PARLOR_WORKERS"] == "1"
    assert "parlor dump stopped" in result.output

    def busy(target: str, **how: Any) -> None:
        raise PortInUse("127.0.0.1", 18001, "Address already in use")

    monkeypatch.setattr(tooldoor, "run_front_door", busy)
    result = CliRunner().invoke(app, ["environ", "--port", "18001"])
    assert result.exit_code == 1
    assert "parlor environ: cannot listen on 127.0.0.1:18001" in result.output
