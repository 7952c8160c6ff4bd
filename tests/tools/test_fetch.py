"""``parlor fetch`` against real peers on loopback: Python's http.server, a ranged server that
cuts bodies short, TLS, parlor's Authenticate pipe (Basic, Digest MD5 and SHA-256), a live
``parlor serve``, file URLs, and every failure with its exit code.

Most cases run the real command in-process through Typer's runner (fast); a few run
``.venv/bin/parlor fetch`` as a subprocess, to see the progress bar's terminal-less summary and
an interrupted fetch's part file.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from parlor.cli import app
from parlor.tools import errors
from parlor.tools.httpauth import read_challenges
from tests.e2e.e2e_support import ParlorProcess, module_server
from tests.tls_support import self_signed, server_context
from tests.tools.http_support import Served, authenticating_server, plain_server, ranged_server

pytestmark = pytest.mark.timeout(60)

SIZE = 3 * 1024 * 1024 + 17  # a few chunks, and not a round number
PASSWORD = "correct horse battery"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["fetch", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served")
    (root / "blob.bin").write_bytes(os.urandom(SIZE))
    (root / "empty").write_bytes(b"")
    (root / "hello.txt").write_text("hello\n")
    return root


@pytest.fixture
def ranged(files: Path) -> Iterator[Served]:
    with ranged_server(files) as served:
        yield served


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- bodies -------------------------------------------------------------------------------


def test_without_output_it_prints_the_byte_count_alone_as_the_seed_does(files: Path) -> None:
    with plain_server(files) as url:
        code, out, err = run(f"{url}/blob.bin")
    assert (code, out, err) == (0, f"{SIZE}\n", "")


def test_output_saves_the_same_bytes_and_says_so(files: Path, tmp_path: Path) -> None:
    target = tmp_path / "copy.bin"
    with plain_server(files) as url:
        code, out, err = run(
            f"{url}/blob.bin", "-o", str(target), "--sha256", sha(files / "blob.bin")
        )
    assert code == 0, err
    assert out == ""
    assert sha(target) == sha(files / "blob.bin")
    assert f"saved {target}: {SIZE:,} bytes, SHA-256 matches" in err
    assert not (tmp_path / "copy.bin.part").exists()


def test_output_dash_writes_the_body_to_stdout(files: Path) -> None:
    with plain_server(files) as url:
        code, out, _ = run(f"{url}/hello.txt", "-o", "-")
    assert (code, out) == (0, "hello\n")


def test_an_empty_body_is_zero_bytes(files: Path, tmp_path: Path) -> None:
    with plain_server(files) as url:
        assert run(f"{url}/empty")[:2] == (0, "0\n")
        assert run(f"{url}/empty", "-o", str(tmp_path / "e"))[0] == 0
    assert (tmp_path / "e").read_bytes() == b""


def test_file_urls_read_this_machine(files: Path, tmp_path: Path) -> None:
    url = (files / "blob.bin").as_uri()
    assert run(url)[:2] == (0, f"{SIZE}\n")
    assert run(url, "-o", str(tmp_path / "f"))[0] == 0
    assert sha(tmp_path / "f") == sha(files / "blob.bin")
    code, _, err = run("file://elsewhere/etc/passwd")
    assert code == 1
    assert "file:///path" in err


def test_https_with_the_servers_certificate_trusted(files: Path, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with ranged_server(files, tls=server_context(cert, key)) as served:
        code, _, err = run(f"{served.url}/hello.txt")
        assert code == errors.TlsFailure.exit_code
        assert "not trusted" in err
        assert run(f"{served.url}/hello.txt", "--cacert", str(cert))[:2] == (0, "6\n")
        assert run(f"{served.url}/hello.txt", "--insecure")[:2] == (0, "6\n")


# -- resuming and atomic saving -----------------------------------------------------------


def test_a_cut_connection_keeps_the_part_and_continue_finishes_the_same_bytes(
    ranged: Served, tmp_path: Path
) -> None:
    target = tmp_path / "blob.bin"
    ranged.knobs.cut_after, ranged.knobs.cuts_left = 1_000_000, 1
    code, _, err = run(f"{ranged.url}/blob.bin", "-o", str(target))
    assert code == errors.Truncated.exit_code
    assert "--continue" in err
    assert not target.exists()  # never a truncated FILE that looks complete
    part = tmp_path / "blob.bin.part"
    assert 0 < part.stat().st_size < SIZE
    code, _, err = run(f"{ranged.url}/blob.bin", "-o", str(target), "--continue")
    assert code == 0, err
    assert ranged.knobs.ranges_seen[-1] == f"bytes={1_000_000}-"
    assert "resumed at 1,000,000" in err
    assert sha(target) == sha(ranged.root / "blob.bin")
    assert not part.exists()


def test_continue_checks_the_whole_file_hash_resumed_prefix_included(
    ranged: Served, tmp_path: Path
) -> None:
    target = tmp_path / "blob.bin"
    whole = (ranged.root / "blob.bin").read_bytes()
    (tmp_path / "blob.bin.part").write_bytes(whole[:12345])
    good = sha(ranged.root / "blob.bin")
    assert run(f"{ranged.url}/blob.bin", "-o", str(target), "-C", "--sha256", good)[0] == 0
    assert target.read_bytes() == whole


def test_continue_from_an_existing_file_never_touches_it_on_failure(
    ranged: Served, tmp_path: Path
) -> None:
    target = tmp_path / "blob.bin"
    mine = b"the user's own bytes"
    target.write_bytes(mine)
    code, _, err = run(f"{ranged.url}/blob.bin", "-o", str(target), "-C", "--sha256", "0" * 64)
    assert code == errors.ChecksumMismatch.exit_code
    assert "nothing was kept" in err
    assert target.read_bytes() == mine
    assert not (tmp_path / "blob.bin.part").exists()


def test_a_server_that_ignores_range_starts_the_part_over(ranged: Served, tmp_path: Path) -> None:
    target = tmp_path / "blob.bin"
    (tmp_path / "blob.bin.part").write_bytes(b"x" * 5000)  # junk a plain GET would append to
    ranged.knobs.ignore_range = True
    assert run(f"{ranged.url}/blob.bin", "-o", str(target), "-C")[0] == 0
    assert sha(target) == sha(ranged.root / "blob.bin")


def test_continue_of_a_part_already_whole_just_renames_it(ranged: Served, tmp_path: Path) -> None:
    target = tmp_path / "blob.bin"
    (tmp_path / "blob.bin.part").write_bytes((ranged.root / "blob.bin").read_bytes())
    code, _, err = run(f"{ranged.url}/blob.bin", "-o", str(target), "-C")
    assert code == 0, err
    assert sha(target) == sha(ranged.root / "blob.bin")


def test_without_continue_a_stale_part_is_replaced(ranged: Served, tmp_path: Path) -> None:
    target = tmp_path / "hello.txt"
    (tmp_path / "hello.txt.part").write_bytes(b"stale stale stale stale")
    assert run(f"{ranged.url}/hello.txt", "-o", str(target))[0] == 0
    assert target.read_text() == "hello\n"


def test_a_mismatched_sha256_replaces_nothing_the_user_had(ranged: Served, tmp_path: Path) -> None:
    target = tmp_path / "hello.txt"
    target.write_text("mine\n")
    code, _, _ = run(f"{ranged.url}/hello.txt", "-o", str(target), "--sha256", "a" * 64)
    assert code == errors.ChecksumMismatch.exit_code
    assert target.read_text() == "mine\n"
    assert run(f"{ranged.url}/hello.txt", "--sha256", "a" * 64)[0] == 11  # counting checks too


def test_interrupting_a_fetch_leaves_the_part_and_says_how_to_resume(
    ranged: Served, tmp_path: Path
) -> None:
    ranged.knobs.stall = True  # headers, then nothing: the fetch is waiting when interrupted
    target = tmp_path / "blob.bin"
    child = subprocess.Popen(
        [sys.executable, "-m", "parlor", "fetch", f"{ranged.url}/blob.bin", "-o", str(target)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not (tmp_path / "blob.bin.part").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=20)
    assert child.returncode == 130
    assert "interrupted" in err
    assert "--continue" in err
    assert "Traceback" not in err
    assert not target.exists()


def test_the_summary_and_no_bar_when_stderr_is_not_a_terminal(files: Path, tmp_path: Path) -> None:
    with plain_server(files) as url:
        done = subprocess.run(
            [sys.executable, "-m", "parlor", "fetch", f"{url}/blob.bin", "-o", str(tmp_path / "b")],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith(f"saved {tmp_path / 'b'}: {SIZE:,} bytes (")


# -- credentials --------------------------------------------------------------------------

USERS = {"alice": PASSWORD, "bob": "s3cret:with:colons"}


@pytest.mark.parametrize(
    ("algorithms", "auth", "expected"),
    [
        (("SHA-256", "MD5"), "any", "alice digest SHA-256"),
        (("MD5",), "any", "alice digest MD5"),
        (("MD5", "SHA-256"), "digest", "alice digest SHA-256"),  # the strongest, not the first
        (("SHA-256",), "basic", "alice basic -"),
        ((), "any", "alice basic -"),  # no Digest offered: Basic after the challenge
    ],
)
def test_digest_and_basic_against_parlors_authenticate_pipe(
    algorithms: tuple[str, ...], auth: str, expected: str
) -> None:
    with authenticating_server(USERS, algorithms) as url:
        code, out, err = run(f"{url}/who", "-o", "-", "--user", f"alice:{PASSWORD}", "--auth", auth)
    assert (code, out) == (0, expected), err


def test_credentials_from_the_url_and_from_netrc(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login bob password {USERS['bob']}\n")
    netrc.chmod(0o600)
    with authenticating_server(USERS) as url:
        host = url.removeprefix("http://")
        in_url = f"http://alice:correct%20horse%20battery@{host}/who"
        assert run(in_url, "-o", "-")[:2] == (0, "alice digest SHA-256")
        assert run(f"{url}/who", "-o", "-", "--netrc-file", str(netrc))[:2] == (
            0,
            "bob digest SHA-256",
        )
        # --user NAME without a password takes netrc's for that name
        assert run(f"{url}/who", "-o", "-", "--user", "bob", "--netrc-file", str(netrc))[:2] == (
            0,
            "bob digest SHA-256",
        )


def test_no_or_wrong_credentials_say_what_to_do() -> None:
    with authenticating_server(USERS) as url:
        code, _, err = run(f"{url}/who")
        assert code == errors.LoginRefused.exit_code
        assert "--user" in err
        code, _, err = run(f"{url}/who", "--user", "alice:wrong")
        assert code == errors.LoginRefused.exit_code
        assert "refused" in err
        code, _, _ = run(f"{url}/who", "--user", "alice:wrong", "--auth", "basic")
        assert code == errors.LoginRefused.exit_code


def test_challenges_are_read_one_per_header_or_several_in_one() -> None:
    one_field = read_challenges(
        ['Digest realm="r", qop="auth", algorithm=MD5, nonce="n1", Basic realm="r"']
    )
    assert [c.algorithm for c in one_field.digest] == ["MD5"]
    assert one_field.basic
    several = read_challenges(
        [
            'Digest realm="r", qop="auth", algorithm=MD5, nonce="n"',
            'Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n"',
            "Digest garbage",
            'Digest realm="r", qop="auth-int", algorithm=SHA-256, nonce="n"',  # not answerable
            'Bearer realm="r"',
        ]
    )
    assert [c.algorithm for c in several.digest] == ["SHA-256", "MD5"]
    assert not several.basic


@pytest.fixture(scope="module")
def parlor_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParlorProcess]:
    with module_server(tmp_path_factory, "fetch") as server:
        yield server


def test_against_a_live_parlor_serve_with_an_account(parlor_serve: ParlorProcess) -> None:
    created = httpx.post(
        f"{parlor_serve.base_url}/api/v1/accounts",
        json={"username": "fetcher", "password": PASSWORD},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    me = f"{parlor_serve.base_url}/api/v1/accounts/me"
    for auth in ("any", "digest", "basic"):
        code, out, err = run(me, "-o", "-", "--user", f"fetcher:{PASSWORD}", "--auth", auth)
        assert code == 0, err
        assert '"fetcher"' in out
    code, _, _ = run(me, "--user", "fetcher:nope")
    assert code == errors.LoginRefused.exit_code
    document = httpx.get(f"{parlor_serve.base_url}/api/v1/openapi.json", timeout=10).content
    assert run(f"{parlor_serve.base_url}/api/v1/openapi.json")[1] == f"{len(document)}\n"
    code, _, err = run(f"{parlor_serve.base_url}/api/v1/nothing-here")
    assert code == errors.NotFound.exit_code, err


# -- failures -----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    listener.close()


def test_each_failure_has_its_exit_code_and_one_line(
    ranged: Served, silent_server: str, tmp_path: Path
) -> None:
    cases = [
        ([f"{ranged.url}/missing"], errors.NotFound, "404"),
        ([f"http://127.0.0.1:{_closed_port()}/x"], errors.Refused, "connection refused"),
        (["http://no-such-host.invalid/x"], errors.UnknownHost, "unknown host"),
        ([f"http://{silent_server}/x", "--timeout", "0.5"], errors.TimedOut, "--timeout"),
        (["gopher://example.org/"], errors.UnknownScheme, "use http, https, ftp or file"),
        (["not a url at all"], errors.UnknownScheme, "scheme"),
        (["http://127.0.0.1:99999/"], errors.ToolError, "not a URL"),
        ([(tmp_path / "nothing").as_uri()], errors.NotFound, "no such file"),
        ([f"{ranged.url}/hello.txt", "-o", str(tmp_path)], errors.CannotWrite, "directory"),
        (
            [f"{ranged.url}/hello.txt", "-o", str(tmp_path / "no" / "dir" / "f")],
            errors.CannotWrite,
            "does not exist",
        ),
    ]
    for args, failure, words in cases:
        code, out, err = run(*args)
        assert code == failure.exit_code, (args, err)
        assert words in err, (args, err)
        assert err.count("\n") == 1, err
        assert err.startswith("parlor fetch: ")
        assert out == ""


def test_a_server_error_and_a_redirect_loop() -> None:
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/loop":
                self.send_response(302)
                self.send_header("Location", "/loop")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_error(503, "busy")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        code, _, err = run(f"{base}/x")
        assert (code, "503" in err) == (errors.RemoteError.exit_code, True)
        code, _, err = run(f"{base}/loop")
        assert (code, "redirects" in err) == (errors.RemoteError.exit_code, True)
    finally:
        server.shutdown()
        server.server_close()


def test_continue_needs_a_file() -> None:
    result = CliRunner().invoke(app, ["fetch", "http://127.0.0.1/", "--continue"])
    assert result.exit_code == 2
    assert "--continue needs -o FILE" in result.output


def test_the_exit_code_table_is_complete_and_distinct() -> None:
    codes = [failure.exit_code for failure in errors.FAILURES]
    assert len(set(codes)) == len(codes)
    assert 2 not in codes
    listed = errors.exit_codes()
    for failure in errors.FAILURES:
        assert f"{failure.exit_code} " in listed


def _serve_once(answer: bytes, *, trickle: float = 0.0) -> tuple[socket.socket, threading.Thread]:
    """A raw server sending ``answer`` to each connection (a byte every ``trickle`` s)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                try:
                    if not trickle:
                        connection.sendall(answer)
                    for index in range(len(answer)) if trickle else ():
                        connection.sendall(answer[index : index + 1])
                        time.sleep(trickle)
                except OSError:
                    continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 404 \x1b]0;pwned\x07\x1b[2J\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Evil: \x1b[2J\r\n\r\nhello",
        b"\x1b[2J garbage that is no HTTP at all\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Long: " + b"a" * 200_000 + b"\r\n\r\n",
    ],
)
def test_a_hostile_server_cannot_drive_the_terminal(answer: bytes) -> None:
    listener, _ = _serve_once(answer)
    try:
        code, out, err = run(f"http://127.0.0.1:{listener.getsockname()[1]}/x")
    finally:
        listener.close()
    assert "\x1b" not in out + err
    assert "\x07" not in out + err
    assert err.count("\n") <= 1
    assert code in (0, errors.NotFound.exit_code, errors.RemoteError.exit_code), err


def test_a_password_in_the_url_never_appears_in_a_message(ranged: Served) -> None:
    host = ranged.url.removeprefix("http://")
    code, _, err = run(f"http://alice:hunter2@{host}/missing")
    assert code == errors.NotFound.exit_code
    assert "hunter2" not in err
    assert "alice:***@" in err


def test_a_malformed_sha256_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["fetch", "http://127.0.0.1/", "--sha256", "xyz"])
    assert result.exit_code == 2
    assert "64 hex digits" in result.output


def test_interim_1xx_answers_are_skipped_not_saved(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("precious\n")
    answer = (
        b"HTTP/1.1 103 Early Hints\r\nLink: </x.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 102 Processing\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n"
    )
    listener, _ = _serve_once(answer)
    try:
        code, _, err = run(f"http://127.0.0.1:{listener.getsockname()[1]}/", "-o", str(target))
    finally:
        listener.close()
    assert code == 0, err
    assert target.read_text() == "hello\n"


def test_a_device_is_written_to_never_replaced(ranged: Served) -> None:
    null = Path("/dev/null")
    assert run(f"{ranged.url}/hello.txt", "-o", str(null))[0] == 0
    assert null.is_char_device()
    assert not Path("/dev/null.part").exists()


def test_a_planted_part_symlink_is_never_written_through(ranged: Served, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("mine\n")
    (tmp_path / "out.txt.part").symlink_to(victim)
    for extra in ((), ("--continue",)):
        code, _, err = run(f"{ranged.url}/hello.txt", "-o", str(tmp_path / "out.txt"), *extra)
        assert code == errors.CannotWrite.exit_code, err
        assert "not a plain file" in err
    assert victim.read_text() == "mine\n"
    assert not (tmp_path / "out.txt").exists()


def test_a_part_longer_than_the_file_starts_over(ranged: Served, tmp_path: Path) -> None:
    target = tmp_path / "hello.txt"
    (tmp_path / "hello.txt.part").write_bytes(b"x" * 100)  # hello.txt is 6 bytes
    code, _, err = run(f"{ranged.url}/hello.txt", "-o", str(target), "--continue")
    assert code == 0, err
    assert target.read_text() == "hello\n"


def test_a_part_that_is_the_source_is_not_truncated(tmp_path: Path) -> None:
    source = tmp_path / "x.part"
    source.write_bytes(b"keep me")
    code, _, err = run(source.as_uri(), "-o", str(tmp_path / "x"))
    assert code == errors.CannotWrite.exit_code, err
    assert source.read_bytes() == b"keep me"


@pytest.mark.parametrize(
    ("location", "says"),
    [
        (b"gopher://\x1b[31mEVIL\x1b[0m/", "which is not"),
        (b"http://[::1/", "not a URL"),
        (b"file:///etc/passwd", "not an http or https URL"),
    ],
)
def test_a_hostile_redirect_is_one_line(location: bytes, says: str) -> None:
    answer = b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n"
    listener, _ = _serve_once(answer)
    try:
        code, _, err = run(f"http://127.0.0.1:{listener.getsockname()[1]}/")
    finally:
        listener.close()
    assert code == errors.RemoteError.exit_code, err
    assert says in err
    assert "\x1b" not in err
    assert err.count("\n") == 1


def test_plain_http_to_a_tls_server_says_so(files: Path, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    with ranged_server(files, tls=server_context(cert, key)) as served:
        plain = served.url.replace("https://", "http://")
        code, _, err = run(f"{plain}/hello.txt", "-o", str(tmp_path / "h"))
    assert code == errors.RemoteError.exit_code, err
    assert "https" in err
    assert "--continue" not in err


def test_passwords_with_at_or_slash_are_masked_whole() -> None:
    for url, secret in (
        ("http://alice:p@ss@127.0.0.1:1/", "ss@"),
        ("ftp://alice:se/cret@127.0.0.1:1/", "cret"),
        ("http://alice:se/cret@127.0.0.1:1/", "cret"),
    ):
        result = CliRunner().invoke(app, ["fetch", url])
        assert secret not in result.output, result.output
        assert "se'" not in result.output


def test_credentials_are_not_sent_to_another_host_and_the_message_says_so() -> None:
    with authenticating_server(USERS) as other:
        import http.server

        class Redirect(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(302)
                self.send_header("Location", f"{other.replace('127.0.0.1', 'localhost')}/who")
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}/"
            code, _, err = run(url, "--user", f"alice:{PASSWORD}")
        finally:
            server.shutdown()
            server.server_close()
    assert code == errors.LoginRefused.exit_code
    assert "were not sent" in err


@pytest.mark.parametrize(
    ("answer", "code", "saved"),
    [
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 0, b""),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 9, None),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n",
            0,
            b"hello",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", 12, None),
    ],
    ids=["204-with-a-length", "two-lengths", "chunked-wins", "short-body"],
)
def test_framing_as_rfc_9112_says(
    answer: bytes, code: int, saved: bytes | None, tmp_path: Path
) -> None:
    listener, _ = _serve_once(answer)
    target = tmp_path / "out"
    try:
        got, _, err = run(f"http://127.0.0.1:{listener.getsockname()[1]}/", "-o", str(target))
    finally:
        listener.close()
    assert got == code, err
    if saved is not None:
        assert target.read_bytes() == saved
    else:
        assert not target.exists()


def test_a_range_that_disagrees_with_its_length_is_refused(tmp_path: Path) -> None:
    answer = (
        b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-5/10\r\n"
        b"Content-Length: 5\r\n\r\nWORLD"
    )
    (tmp_path / "f.part").write_bytes(b"hello")
    listener, _ = _serve_once(answer)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        code, _, err = run(url, "-o", str(tmp_path / "f"), "--continue")
    finally:
        listener.close()
    assert code == errors.RemoteError.exit_code, err
    assert not (tmp_path / "f").exists()


def test_max_time_ends_a_trickle_and_keeps_the_part(tmp_path: Path) -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
    listener, _ = _serve_once(answer, trickle=0.05)
    target = tmp_path / "slow"
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        started = time.monotonic()
        code, _, err = run(url, "-o", str(target), "--max-time", "1", "--timeout", "5")
        took = time.monotonic() - started
    finally:
        listener.close()
    assert code == errors.TimedOut.exit_code, err
    assert "--max-time 1 s" in err
    assert "--continue" in err
    assert took < 4
    assert 0 < (tmp_path / "slow.part").stat().st_size < 100
