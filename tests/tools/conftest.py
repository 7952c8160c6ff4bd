"""FTP servers for the ftp and fetch tests: pyftpdlib over one tree, plain and FTPS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tls_support import self_signed
from tests.tools.ftp_support import FtpServers, ftp_servers, make_tree


@pytest.fixture(scope="session")
def ftp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served tree, 5,000 files and all, made once per run (no test writes to it)."""
    root = tmp_path_factory.mktemp("ftp-root")
    make_tree(root)
    return root


@pytest.fixture(scope="module")
def servers(ftp_root: Path) -> Iterator[FtpServers]:
    with ftp_servers(ftp_root) as running:
        yield running


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("ftps"))  # skips (fails in CI) without openssl


@pytest.fixture(scope="module")
def tls_port(ftp_root: Path, tls_files: tuple[Path, Path]) -> Iterator[int]:
    """An FTPS-only server (control and data connections must be TLS) over the same tree."""
    cert, key = tls_files
    with ftp_servers(ftp_root, cert, key) as running:
        assert running.tls is not None
        yield running.tls
