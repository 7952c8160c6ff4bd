"""``parlor ftp ls`` and the FTP session ``parlor fetch`` uses, against real servers on loopback.

pyftpdlib serves a directory of 5,000 files (made once for the module), a small tree with a
link that loops, and two files, from three servers: as it comes, with an older server's
manners (no EPSV, no MLSD), and FTPS only. Raw sockets play the servers nobody should meet:
silent, overlong, endless, hostile. Every failure must be one line and its exit code; nothing
may hang (each test has a timeout) or print a traceback.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from parlor.cli import app
from parlor.tools import errors
from parlor.tools.ftp import Direction, Session, listing, parse_url
from tests.e2e.e2e_support import free_port
from tests.tools.ftp_support import (
    DATA,
    FILES,
    HELLO,
    LEGACY_BANNER,
    PASSWORD,
    USER,
    FtpServers,
    RawServer,
    endless,
    mini_ftp,
    overlong,
    silent,
)

pytestmark = pytest.mark.timeout(30)

Handler = Callable[[socket.socket], None]
BIG_NAMES = {f"f{n:05d}.txt" for n in range(FILES)}
#: ``tree/`` as --recursive --names shows it, through MLSD (the loop is a directory, seen
#: before, so listed and not entered) and through LIST (a link, never followed).
TREE = {"a/", "a/b/", "a/b/deep.txt", "a/x.txt", "c/", "space name.txt", "top.txt"}


def ls(*args: str, env: dict[str, str] | None = None) -> Result:
    """``parlor ftp ls ARGS`` in-process; it must end by exiting, never by an exception."""
    result = CliRunner().invoke(app, ["ftp", "ls", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


class Recorder:
    """A trace callback that keeps every line."""

    def __init__(self) -> None:
        self.lines: list[tuple[Direction, str]] = []

    def __call__(self, direction: Direction, line: str) -> None:
        self.lines.append((direction, line))

    def sent(self) -> list[str]:
        return [line for direction, line in self.lines if direction == ">"]

    def verbs(self) -> list[str]:
        return [line.partition(" ")[0] for line in self.sent()]


def session(
    url: str,
    *,
    tls: bool = False,
    tls_context: ssl.SSLContext | None = None,
    trace: Recorder | None = None,
) -> Session:
    return Session(parse_url(url), timeout=10, tls=tls, tls_context=tls_context, trace=trace)


# -- listings ---------------------------------------------------------------------------------


def test_list_of_5000_files_prints_every_line_as_sent(servers: FtpServers) -> None:
    result = ls(servers.url(servers.plain, "big/"))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == FILES
    assert {line.rsplit(" ", 1)[1] for line in lines} == BIG_NAMES
    assert all(line.startswith("-rw-") for line in lines)
    assert result.stderr == ""


def test_nlst_of_5000_files_gives_the_names(servers: FtpServers) -> None:
    result = ls("--names", servers.url(servers.plain, "big"))
    assert result.exit_code == 0, result.stderr
    names = result.stdout.splitlines()
    assert len(names) == FILES
    assert set(names) == BIG_NAMES


def test_mlsd_of_5000_files_gives_entries_with_facts(servers: FtpServers) -> None:
    with session(servers.url(servers.plain)) as ftp:
        entries = list(ftp.mlsd("big"))
    assert len(entries) == FILES
    assert {entry.name for entry in entries} == BIG_NAMES
    assert {entry.kind for entry in entries} == {"file"}
    assert {entry.size for entry in entries} == {0}
    assert all(len(entry.facts["modify"]) == 14 for entry in entries)


def test_the_real_command_lists_5000_files(servers: FtpServers) -> None:
    parlor = Path(sys.executable).with_name("parlor")
    done = subprocess.run(
        [str(parlor), "ftp", "ls", "--names", servers.url(servers.plain, "big")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == FILES


def test_passive_asks_epsv(servers: FtpServers) -> None:
    trace = Recorder()
    with session(servers.url(servers.plain), trace=trace) as ftp:
        assert list(ftp.nlst("files")) == ["data.bin", "hello.txt"]
    assert "EPSV" in trace.verbs()
    assert "PASV" not in trace.verbs()


def test_passive_falls_back_to_pasv_once_when_epsv_is_refused(servers: FtpServers) -> None:
    trace = Recorder()
    with session(servers.url(servers.legacy), trace=trace) as ftp:
        assert sorted(ftp.nlst("files")) == ["data.bin", "hello.txt"]
        assert len(list(ftp.list("big"))) == FILES
    assert trace.verbs().count("EPSV") == 1  # refused once, not asked again
    assert trace.verbs().count("PASV") == 2
    assert any(line.startswith("500 ") for _, line in trace.lines)


def test_active_mode_uses_port(servers: FtpServers) -> None:
    result = ls("--active", "--trace", servers.url(servers.plain, "big"))
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == FILES
    assert "> PORT 127,0,0,1," in result.stderr
    assert "EPSV" not in result.stderr


def test_ftps_encrypts_control_and_listing(
    servers: FtpServers, tls_port: int, tls_files: tuple[Path, Path]
) -> None:
    cert, _key = tls_files
    trace = Recorder()
    context = ssl.create_default_context(cafile=str(cert))
    with session(servers.url(tls_port), tls=True, tls_context=context, trace=trace) as ftp:
        # The server refuses data connections in clear (tls_data_required): this is PROT P.
        assert len(list(ftp.list("big"))) == FILES
        assert b"".join(ftp.retrieve("files/hello.txt")) == HELLO
    assert trace.verbs()[:5] == ["AUTH", "USER", "PASS", "PBSZ", "PROT"]
    # Through the command, trusting the certificate the way OpenSSL is told to.
    url = servers.url(tls_port, "big")
    result = ls("--tls", "--names", url, env={"SSL_CERT_FILE": str(cert)})
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == FILES


def test_ftps_with_an_untrusted_certificate_is_a_tls_failure(
    servers: FtpServers, tls_port: int
) -> None:
    result = ls("--tls", servers.url(tls_port), env={"SSL_CERT_FILE": os.devnull})
    assert result.exit_code == errors.TlsFailure.exit_code
    assert "TLS certificate is not trusted" in result.stderr


def test_a_tls_only_server_in_clear_says_to_use_tls(servers: FtpServers, tls_port: int) -> None:
    result = ls(servers.url(tls_port))
    assert result.exit_code == errors.RemoteError.exit_code
    assert result.stderr.rstrip().endswith("try --tls")


def test_tls_to_a_server_without_it_is_refused_clearly(servers: FtpServers) -> None:
    with RawServer(mini_ftp()) as raw:
        result = ls("--tls", raw.url())
    assert result.exit_code == errors.TlsFailure.exit_code
    assert "refused AUTH TLS" in result.stderr


@pytest.mark.parametrize("port_of", ["plain", "legacy"])
def test_recursive_walks_a_tree_and_not_its_loop(servers: FtpServers, port_of: str) -> None:
    trace = "--trace"
    result = ls("--recursive", "--names", trace, servers.url(getattr(servers, port_of), "tree"))
    assert result.exit_code == 0, result.stderr
    shown = set(result.stdout.splitlines())
    if port_of == "plain":  # MLSD: the loop is a directory seen before
        assert shown == TREE | {"a/b/loop/"}
        assert "> MLSD tree/a/b" in result.stderr
    else:  # LIST: the loop is a link
        assert shown == TREE | {"a/b/loop"}
        assert "> LIST tree/a/b" in result.stderr
        assert "> MLSD" not in result.stderr


def test_recursive_long_form_shows_kind_and_size(servers: FtpServers) -> None:
    result = ls("-R", servers.url(servers.plain, "tree"))
    assert result.exit_code == 0, result.stderr
    lines = {tuple(line.split(None, 2)) for line in result.stdout.splitlines()}
    assert ("-", "4", "a/b/deep.txt") in lines
    assert ("d", "-", "a/") in lines
    assert ("-", "10", "space name.txt") in lines


def test_trace_shows_multiline_replies_as_sent(servers: FtpServers) -> None:
    url = servers.url(servers.legacy, "tree/c")
    result = ls("--trace", "--recursive", "--user", f"{USER}:{PASSWORD}", url)
    assert result.exit_code == 0, result.stderr
    trace = result.stderr.splitlines()
    # The long greeting, as pyftpdlib sends it: "220-text" then "220 " (RFC 959 §4.2).
    assert trace[:2] == [f"< 220-{LEGACY_BANNER}", "< 220 "]
    assert "> USER alice" in trace
    assert "> PASS ****" in trace
    assert PASSWORD not in result.stderr
    feat = trace.index("> FEAT")
    assert trace[feat + 1] == "< 211-Features supported:"
    end = trace.index("< 211 End FEAT.")
    assert "<  SIZE" in trace[feat + 2 : end]  # the feature lines keep their leading space
    assert trace[-2:] == ["> QUIT", "< 221 Goodbye."]


# -- files: what parlor fetch calls -------------------------------------------------------------


def test_retrieve_whole_and_from_an_offset(servers: FtpServers) -> None:
    with session(servers.url(servers.plain)) as ftp:
        assert ftp.size("files/data.bin") == len(DATA)
        with ftp.retrieve("files/data.bin") as chunks:
            assert b"".join(chunks) == DATA
        assert chunks.received == len(DATA)
        with ftp.retrieve("files/data.bin", offset=1_000_001) as chunks:
            assert b"".join(chunks) == DATA[1_000_001:]
        assert b"".join(ftp.retrieve("files/hello.txt")) == HELLO  # without SIZE first
        assert ftp.size("files/nothing-here") is None
        with pytest.raises(errors.NotFound):
            ftp.retrieve("files/nothing-here")
        assert ftp.size("files/hello.txt") == len(HELLO)  # still usable after a 550


def test_closing_retrieve_early_aborts_and_keeps_the_session(servers: FtpServers) -> None:
    trace = Recorder()
    with session(servers.url(servers.plain), trace=trace) as ftp:
        begun = time.monotonic()
        transfer = ftp.retrieve("files/data.bin")
        assert len(next(transfer)) > 0
        transfer.close()
        assert time.monotonic() - begun < 3
        assert transfer.done
        assert not ftp.closed
        assert ftp.size("files/hello.txt") == len(HELLO)
        lines = ftp.list("big")
        next(lines)
        lines.close()  # a listing closed early too
        assert b"".join(ftp.retrieve("files/hello.txt")) == HELLO
    assert trace.verbs().count("ABOR") == 2
    assert trace.verbs()[-1] == "QUIT"


def test_one_transfer_at_a_time(servers: FtpServers) -> None:
    with session(servers.url(servers.plain)) as ftp:
        transfer = ftp.retrieve("files/data.bin")
        with pytest.raises(RuntimeError):
            ftp.size("files/hello.txt")
        transfer.close()
        assert ftp.size("files/hello.txt") == len(HELLO)


def test_leaving_the_session_mid_transfer_quits(servers: FtpServers) -> None:
    trace = Recorder()
    with session(servers.url(servers.plain), trace=trace) as ftp:
        next(ftp.retrieve("files/data.bin"))
    assert trace.verbs()[-3:] == ["ABOR", "NOOP", "QUIT"]
    assert ftp.closed


@pytest.mark.parametrize(
    ("script", "said"),
    [
        (mini_ftp(data=DATA[:1000], final=b"426 Connection closed; transfer aborted."), "cut"),
        (mini_ftp(data=DATA[:1000], size=len(DATA)), "1,000 of 2,109,497 bytes"),
        (mini_ftp(data=DATA[:1000], hang_up=True), "closed the connection"),
        (mini_ftp(data=DATA[:100_000], reset=True), "cut"),
    ],
    ids=["426", "short-of-size", "control-gone", "reset"],
)
def test_a_cut_transfer_is_truncated(script: Handler, said: str) -> None:
    with RawServer(script) as raw, session(raw.url()) as ftp:
        ftp.size("data.bin")
        with pytest.raises(errors.Truncated, match=said), ftp.retrieve("data.bin") as chunks:
            b"".join(chunks)


# -- credentials --------------------------------------------------------------------------------


def test_credentials_from_url_user_option_and_netrc(
    servers: FtpServers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f'machine 127.0.0.1 login {USER} password "{PASSWORD}"\n')
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    quoted = PASSWORD.replace(" ", "%20")
    for args in (
        [servers.url(servers.plain, "files", f"{USER}:{quoted}")],
        ["--user", f"{USER}:{PASSWORD}", servers.url(servers.plain, "files")],
        ["--user", USER, servers.url(servers.plain, "files")],  # the password from netrc
        [servers.url(servers.plain, "files")],  # all from netrc
    ):
        result = ls("--trace", "--names", *args)
        assert result.exit_code == 0, (args, result.stderr)
        assert "> USER alice" in result.stderr, args
        assert result.stdout.splitlines() == ["data.bin", "hello.txt"]
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    result = ls("--trace", servers.url(servers.plain, "files"))
    assert "> USER anonymous" in result.stderr


# -- errors -------------------------------------------------------------------------------------


def _assert_one_line(result: Result, code: int, says: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert result.stderr.startswith("parlor ftp: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("url", "code", "says"),
    [
        ("PLAIN/", errors.NotFound.exit_code, "check the path"),
        ("WRONG/", errors.LoginRefused.exit_code, "login refused"),
        ("REFUSED/", errors.Refused.exit_code, "connection refused"),
        ("ftp://no-such-host.invalid/", errors.UnknownHost.exit_code, "unknown host"),
        ("http://127.0.0.1/", errors.UnknownScheme.exit_code, "not an ftp:// URL"),
        ("ftp://127.0.0.1:99999/", 1, "not a valid URL"),
    ],
    ids=["missing-directory", "wrong-password", "refused", "unknown-host", "scheme", "bad-port"],
)
def test_errors_are_one_line_with_their_exit_code(
    servers: FtpServers, url: str, code: int, says: str
) -> None:
    url = (
        url.replace("PLAIN/", servers.url(servers.plain, "no/such/directory/"))
        .replace("WRONG/", servers.url(servers.plain, "", f"{USER}:wrong"))
        .replace("REFUSED/", f"ftp://127.0.0.1:{free_port()}/")
    )
    _assert_one_line(ls(url), code, says)


@pytest.mark.parametrize(
    ("handler", "code", "says"),
    [
        (silent, errors.TimedOut.exit_code, "no answer in time"),
        (overlong, 1, "longer than 8192 bytes"),
        (endless, 1, "ran past 1000 lines"),
    ],
    ids=["never-greets", "overlong-line", "endless-reply"],
)
def test_misbehaving_servers_end_in_one_line(handler: Handler, code: int, says: str) -> None:
    with RawServer(handler) as raw:
        begun = time.monotonic()
        result = ls("--timeout", "0.5", raw.url())
        assert time.monotonic() - begun < 5
    _assert_one_line(result, code, says)


def test_hostile_names_are_printed_escaped() -> None:
    hostile = (
        b"-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 \x1b]0;owned\x07title\r\n"
        b"-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 clear\x1b[2Jscreen\r\n"
        b"-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 over\rwrite\r\n"
        b"-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 bidi\xe2\x80\xaetxt.exe\r\n"
        b"-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 latin1-\xe9t\xe9\r\n"
    )
    banner = b"220 hi \x1b[31mred\x1b[0m"
    with RawServer(mini_ftp(banner=banner, data=hostile)) as raw:
        result = ls("--trace", raw.url())
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 \\e]0;owned\\x07title",
        "-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 clear\\e[2Jscreen",
        "-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 over\\rwrite",
        "-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 bidi\\u202etxt.exe",
        "-rw-r--r-- 1 ftp ftp 1 Mar 07 12:00 latin1-\\xe9t\\xe9",
    ]
    assert "< 220 hi \\e[31mred\\e[0m" in result.stderr
    for output in (result.stdout, result.stderr):
        assert not any(c in output for c in "\x1b\x07\r\u202e")


def test_a_server_that_closes_at_once_is_one_line() -> None:
    with RawServer(lambda conn: None) as raw:
        result = ls(raw.url())
    _assert_one_line(result, errors.Truncated.exit_code, "closed the connection")


def test_a_reply_that_is_not_ftp_is_one_line() -> None:
    with RawServer(mini_ftp(banner=b"SSH-2.0-OpenSSH_9.6")) as raw:
        result = ls(raw.url())
    _assert_one_line(result, 1, "is this an FTP server?")


def test_a_path_with_a_line_break_is_not_sent(servers: FtpServers) -> None:
    result = ls(servers.url(servers.plain, "big%0D%0ADELE%20x"))
    _assert_one_line(result, 1, "line break")


def test_a_walk_collects_entries_in_the_same_session(servers: FtpServers) -> None:
    with session(servers.url(servers.plain)) as ftp:
        shown = set(listing(ftp, "tree", names=True, recursive=True))
        assert "MLST" in ftp.features()
        assert len(list(ftp.nlst("big"))) == FILES  # the session is still in step
    assert shown == TREE | {"a/b/loop/"}


def test_a_server_that_cannot_resume_says_so() -> None:
    with RawServer(mini_ftp(rest=b"502 REST not implemented.")) as raw, session(raw.url()) as ftp:
        with pytest.raises(errors.RemoteError, match="cannot resume"):
            ftp.retrieve("data.bin", offset=10)
        assert not ftp.closed  # a refusal, not a broken conversation


def test_closing_early_on_a_server_that_stops_answering_closes_the_session() -> None:
    # mini_ftp gives up when its data connection breaks: ABOR finds nobody there.
    with RawServer(mini_ftp(data=DATA * 8)) as raw:
        ftp = Session(parse_url(raw.url()), timeout=0.5)
        with ftp:
            transfer = ftp.retrieve("data.bin")
            next(transfer)
            begun = time.monotonic()
            transfer.close()
            assert time.monotonic() - begun < 2
            assert ftp.closed
            with pytest.raises(errors.ToolError, match="connect again"):
                ftp.size("data.bin")


def test_a_tree_that_never_ends_stops_at_the_depth_limit() -> None:
    again = b"drwxr-xr-x 1 ftp ftp 0 Mar 07 12:00 again\r\n"  # every directory holds itself
    with RawServer(mini_ftp(data=again)) as raw:
        result = ls("--recursive", "--names", raw.url())
    assert result.exit_code == 1
    assert "64 directories deep (a loop?)" in result.stderr
    assert result.stdout.splitlines()[-1] == "/".join(["again"] * 65) + "/"


def test_a_closed_reader_ends_the_listing_quietly(servers: FtpServers) -> None:
    parlor = Path(sys.executable).with_name("parlor")
    with subprocess.Popen(
        [str(parlor), "ftp", "ls", servers.url(servers.plain, "big")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline().startswith(b"-rw-")
        process.stdout.close()  # `| head -1`
        assert process.wait(timeout=20) == 0
        assert process.stderr.read() == b""


def test_password_is_asked_on_a_terminal_only_when_needed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from parlor.cli.fetch import ask_password

    asked: list[str] = []

    def prompt(text: str, **_: object) -> str:
        asked.append(text)
        return "typed"

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(typer, "prompt", prompt)
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    assert ask_password("ftp://h/", "bob") == "bob:typed"
    assert ask_password("ftp://h/", "bob:given") == "bob:given"
    assert ask_password("ftp://ann@h/", "bob") == "bob"  # the URL's wins anyway
    assert ask_password("ftp://h/", None) is None
    netrc = tmp_path / "netrc"
    netrc.write_text("machine h login bob password kept\n")
    monkeypatch.setenv("NETRC", str(netrc))
    assert ask_password("ftp://h/", "bob") == "bob"
    assert asked == ["Password for bob"]


def test_trace_on_a_terminal_is_colored_and_still_escaped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from parlor.cli import ftp as ftp_cli

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    show = ftp_cli._tracer()
    show(">", "USER bob")
    show("<", "530 [red]no\x1b[2J")
    err = capsys.readouterr().err
    assert "\x1b[" in err  # Rich's colors
    assert "530 [red]no\\e[2J" in err  # markup shown as text, ESC escaped
    assert "\x1b[2J" not in err


@pytest.mark.parametrize(
    ("url", "host", "port", "path", "user"),
    [
        ("ftp://example.org", "example.org", 21, "", "anonymous"),
        ("ftp://example.org/pub/file.txt", "example.org", 21, "pub/file.txt", "anonymous"),
        ("FTP://example.org:2121/%2Fetc/motd", "example.org", 2121, "/etc/motd", "anonymous"),
        ("ftp://example.org/a%20b/c;type=i", "example.org", 21, "a b/c", "anonymous"),
        ("ftp://bob:p%40ss@[::1]:2121/x/", "::1", 2121, "x/", "bob"),
        ("ftp://example.org/caf%E9", "example.org", 21, "caf\udce9", "anonymous"),
    ],
)
def test_urls_name_host_port_path_and_login(
    url: str, host: str, port: int, path: str, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRC", os.devnull)
    target = parse_url(url)
    assert (target.host, target.port, target.path, target.credentials.user) == (
        host,
        port,
        path,
        user,
    )
    if user == "bob":
        assert target.credentials.password == "p@ss"
        assert target.where == "[::1]:2121"


@pytest.mark.parametrize(
    ("url", "error", "says"),
    [
        ("ftps://example.org/", errors.UnknownScheme, "use ftp:// with --tls"),
        ("sftp://example.org/", errors.UnknownScheme, "not an ftp:// URL"),
        ("ftp:///pub", errors.ToolError, "names no host"),
        ("ftp://example.org:x/", errors.ToolError, "not a valid URL"),
        ("ftp://bob:hunter2@example.org:x/", errors.ToolError, "bob:\\*\\*\\*@example"),
    ],
)
def test_urls_that_are_not_ftp_targets(url: str, error: type[Exception], says: str) -> None:
    with pytest.raises(error, match=says) as raised:
        parse_url(url)
    assert "hunter2" not in str(raised.value)


def test_a_listing_line_without_end_is_refused() -> None:
    with RawServer(mini_ftp(data=b"x" * 70_000)) as raw:
        result = ls(raw.url())
    _assert_one_line(result, 1, "not a directory listing")


def test_a_busy_server_says_try_again_later() -> None:
    with RawServer(mini_ftp(banner=b"421 Too many users, sorry.")) as raw:
        result = ls(raw.url())
    _assert_one_line(result, errors.RemoteError.exit_code, "421 Too many users, sorry.; try again")


def test_retrieve_resumes_where_the_size_is_unknown_and_refuses_nonsense() -> None:
    with RawServer(mini_ftp(data=DATA[10:1000])) as raw, session(raw.url()) as ftp:
        assert ftp.size("data.bin") is None
        with ftp.retrieve("data.bin", offset=10) as chunks:
            assert chunks.expected is None
            assert b"".join(chunks) == DATA[10:1000]
        assert list(chunks) == []  # done is done
        with pytest.raises(ValueError, match="offset"):
            ftp.retrieve("data.bin", offset=-1)
        with pytest.raises(errors.NotFound, match="names a directory"):
            ftp.retrieve("")


def test_recursive_goes_on_past_a_directory_it_cannot_list(servers: FtpServers) -> None:
    result = ls("--recursive", "--names", servers.url(servers.plain, "locked/"))
    assert result.exit_code == errors.NotFound.exit_code
    assert set(result.stdout.splitlines()) == {"open.txt", "secret/"}
    assert result.stderr.startswith("parlor ftp: cannot list secret/: ")
    assert result.stderr.count("\n") == 1
    top = ls("--recursive", "--names", servers.url(servers.plain, "locked/secret/"))
    assert top.exit_code == errors.NotFound.exit_code  # the directory asked for: an error
    assert top.stdout == ""
