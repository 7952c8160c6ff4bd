"""FTP through ``parlor fetch`` and ``parlor ftp get`` (the same code), against pyftpdlib and
small scripted servers: whole files, resumes with REST, a server without REST, cut transfers,
FTPS, and the failures' exit codes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parlor.cli import app
from parlor.tools import errors
from tests.tools.ftp_support import DATA, HELLO, PASSWORD, USER, FtpServers, RawServer, mini_ftp

pytestmark = pytest.mark.timeout(30)


def run(*args: str) -> tuple[int, str, str]:
    code, _, err, out = run_bytes(*args)
    return code, out, err


def run_bytes(*args: str) -> tuple[int, bytes, str, str]:
    """Exit code, standard output as bytes (as -o - wrote them) and as text, standard error."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout_bytes, result.stderr, result.stdout


def test_fetch_counts_saves_and_verifies_an_ftp_file(servers: FtpServers, tmp_path: Path) -> None:
    url = servers.url(servers.plain, "files/data.bin")
    assert run("fetch", url)[:2] == (0, f"{len(DATA)}\n")
    target = tmp_path / "data.bin"
    good = hashlib.sha256(DATA).hexdigest()
    code, _, err = run("fetch", url, "-o", str(target), "--sha256", good)
    assert code == 0, err
    assert target.read_bytes() == DATA
    assert "SHA-256 matches" in err


def test_ftp_get_saves_under_the_files_own_name(
    servers: FtpServers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("ftp", "get", servers.url(servers.plain, "files/hello.txt"))
    assert code == 0, err
    assert (tmp_path / "hello.txt").read_bytes() == HELLO
    assert err.startswith("saved hello.txt: 12 bytes")
    code, out, _, _ = run_bytes(
        "ftp", "get", servers.url(servers.plain, "files/hello.txt"), "-o", "-"
    )
    assert (code, out) == (0, HELLO)


def test_continue_resumes_with_rest_and_gives_the_same_bytes(
    servers: FtpServers, tmp_path: Path
) -> None:
    target = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(DATA[:1_000_000])
    url = servers.url(servers.legacy, "files/data.bin", f"{USER}:{PASSWORD}")  # PASV only
    code, _, err = run("ftp", "get", url, "-o", str(target), "--continue", "--trace")
    assert code == 0, err
    assert "> REST 1000000" in err
    assert "resumed at 1,000,000" in err
    assert target.read_bytes() == DATA


def test_a_cut_transfer_keeps_the_part_and_continue_finishes_it(
    servers: FtpServers, tmp_path: Path
) -> None:
    target = tmp_path / "data.bin"
    with RawServer(mini_ftp(data=DATA[:1000], size=len(DATA))) as raw:
        code, _, err = run("fetch", raw.url("data.bin"), "-o", str(target))
    assert code == errors.Truncated.exit_code, err
    assert "--continue" in err
    assert not target.exists()
    assert (tmp_path / "data.bin.part").read_bytes() == DATA[:1000]
    code, _, err = run(
        "fetch", servers.url(servers.plain, "files/data.bin"), "-o", str(target), "-C"
    )
    assert code == 0, err
    assert target.read_bytes() == DATA


def test_a_server_without_rest_sends_it_all_again(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    (tmp_path / "data.bin.part").write_bytes(b"junk that must not stay in front")
    handler = mini_ftp(data=DATA, size=len(DATA), rest=b"502 REST not implemented.")
    with RawServer(handler) as raw:
        code, _, err = run("fetch", raw.url("data.bin"), "-o", str(target), "--continue")
    assert code == 0, err
    assert target.read_bytes() == DATA


def test_a_part_already_whole_is_just_renamed(servers: FtpServers, tmp_path: Path) -> None:
    target = tmp_path / "hello.txt"
    (tmp_path / "hello.txt.part").write_bytes(HELLO)
    code, _, err = run(
        "ftp", "get", servers.url(servers.plain, "files/hello.txt"), "-o", str(target), "-C"
    )
    assert code == 0, err
    assert target.read_bytes() == HELLO


def test_ftps_through_fetch_with_the_certificate_trusted(
    tls_port: int, tls_files: tuple[Path, Path], tmp_path: Path
) -> None:
    cert, _ = tls_files
    url = f"ftp://{USER}:{PASSWORD}@127.0.0.1:{tls_port}/files/hello.txt"
    code, _, err = run("fetch", url, "--ftp-tls")
    assert code == errors.TlsFailure.exit_code, err
    assert run("fetch", url, "--ftp-tls", "--cacert", str(cert))[:2] == (0, f"{len(HELLO)}\n")
    assert run_bytes("ftp", "get", url, "--tls", "--insecure", "-o", "-")[1] == HELLO


def test_active_mode_through_fetch(servers: FtpServers) -> None:
    url = servers.url(servers.plain, "files/data.bin")
    assert run("fetch", url, "--ftp-active")[:2] == (0, f"{len(DATA)}\n")


def test_ftp_failures_have_their_exit_codes(servers: FtpServers, tmp_path: Path) -> None:
    cases = [
        (["fetch", servers.url(servers.plain, "files/nothing")], errors.NotFound),
        (["ftp", "get", servers.url(servers.plain, "nothing.bin")], errors.NotFound),
        (
            ["fetch", servers.url(servers.plain, "files/hello.txt", f"{USER}:wrong")],
            errors.LoginRefused,
        ),
        (["ftp", "get", "http://example.org/x"], errors.UnknownScheme),
    ]
    for args, failure in cases:
        code, _, err = run(*args)
        assert code == failure.exit_code, (args, err)
        assert err.count("\n") == 1, err
        assert "wrong" not in err  # never the password
    code, _, err = run("ftp", "get", servers.url(servers.plain, "files/"))
    assert code == 2
    assert "parlor ftp ls" in err


def test_ftp_ls_and_get_read_a_netrc_file(servers: FtpServers, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f'machine 127.0.0.1 login {USER} password "{PASSWORD}"\n')
    netrc.chmod(0o600)
    url = servers.url(servers.plain, "files/")
    code, listed, err = run("ftp", "ls", "--names", "--trace", "--netrc-file", str(netrc), url)
    assert code == 0, err
    assert f"> USER {USER}" in err
    assert "hello.txt" in listed
    get = servers.url(servers.plain, "files/hello.txt")
    code, body, _, _ = run_bytes("ftp", "get", get, "-o", "-", "--netrc-file", str(netrc))
    assert (code, body) == (0, HELLO)
