"""``parlor ftp ls`` of 5,000 files beside a bare ftplib script doing the same LIST.

A pyftpdlib server (its own process, so it does not share this one's GIL) serves a directory
of 5,000 empty files on loopback. Two things are timed, each beside its anchor, in
alternating order within every round (the order flips each round, so drift on a noisy machine
falls on both):

- **the whole command**: connect, log in anonymously, LIST the directory, QUIT. parlor's side
  is what ``parlor ftp ls URL`` runs in-process, minus the terminal: ``Session`` and
  ``listing`` from ``parlor.tools.ftp``, each line through ``printable`` (the escaping the
  command does before printing). The anchor is the least ftplib code: ``FTP.connect``,
  ``login()``, ``retrlines("LIST big", lines.append)``, ``quit()``.
- **LIST alone**: the same, on a session already logged in: one listing's own cost.

Each round times ``--listings`` of each and keeps the median; the report gives the median of
those over ``--rounds`` rounds, the ratio parlor / ftplib (time: above 1 is slower) and the
range of the per-round ratios. Every listing must have 5,000 lines, or the run fails.

    .venv/bin/python bench/ftp_ls.py [--rounds 7] [--listings 15] [--write-md]
"""

from __future__ import annotations

import argparse
import ftplib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from mdsection import replace_section
from parlor.tools.ftp import Session, listing, parse_url
from parlor.tools.ftp_listing import printable

SECTION = "FTP listing"
FILES = 5_000
PATH = "big"

SERVER = """
import logging, sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
logging.getLogger("pyftpdlib").addHandler(logging.NullHandler())
logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
authorizer = DummyAuthorizer()
authorizer.add_anonymous(sys.argv[1], perm="elr")
FTPHandler.authorizer = authorizer
FTPServer(("127.0.0.1", int(sys.argv[2])), FTPHandler).serve_forever(handle_exit=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def ftp_server(root: Path) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(root), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as probe:
                    probe.recv(100)  # the greeting: the server is serving
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the pyftpdlib server did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# -- the two sides --------------------------------------------------------------------------


def parlor_command(url: str) -> int:
    target = parse_url(url)
    with Session(target) as session:
        return len([printable(line) for line in listing(session, target.path)])


def ftplib_command(port: int) -> int:
    lines: list[str] = []
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port)
    ftp.login()
    ftp.retrlines(f"LIST {PATH}", lines.append)
    ftp.quit()
    return len(lines)


def timed(run: Callable[[], int], count: int) -> float:
    """The median seconds of ``count`` calls of ``run``, each of which must list every file."""
    times = []
    for _ in range(count):
        begun = time.perf_counter()
        lines = run()
        times.append(time.perf_counter() - begun)
        if lines != FILES:
            raise SystemExit(f"a listing had {lines} lines, not {FILES}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--listings", type=int, default=15)
    parser.add_argument("--write-md", action="store_true")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="parlor-bench-ftp-") as tmp:
        root = Path(tmp)
        (root / PATH).mkdir()
        for n in range(FILES):
            (root / PATH / f"f{n:05d}.txt").touch()
        with ftp_server(root) as port:
            url = f"ftp://127.0.0.1:{port}/{PATH}"
            results = measure(console, url, port, args.rounds, args.listings)
    report(console, results, args)


Results = dict[str, list[float]]


def measure(console: Console, url: str, port: int, rounds: int, listings: int) -> Results:
    results: Results = {key: [] for key in ("parlor", "ftplib", "parlor_list", "ftplib_list")}
    target = parse_url(url)
    with Session(target) as session:
        anchor = ftplib.FTP()
        anchor.connect("127.0.0.1", port)
        anchor.login()

        def parlor_list() -> int:
            return len([printable(line) for line in listing(session, target.path)])

        def ftplib_list() -> int:
            lines: list[str] = []
            anchor.retrlines(f"LIST {PATH}", lines.append)
            return len(lines)

        sides: dict[str, Callable[[], int]] = {
            "parlor": lambda: parlor_command(url),
            "ftplib": lambda: ftplib_command(port),
            "parlor_list": parlor_list,
            "ftplib_list": ftplib_list,
        }
        for run in sides.values():  # warm up: imports, caches, the server's first listing
            timed(run, 2)
        with console.status("") as status:
            for round_ in range(rounds):
                order = ["parlor", "ftplib"] if round_ % 2 == 0 else ["ftplib", "parlor"]
                for name in order + [f"{side}_list" for side in order]:
                    status.update(f"round {round_ + 1}/{rounds}: {name}")
                    results[name].append(timed(sides[name], listings))
        anchor.quit()
    return results


def report(console: Console, results: Results, args: argparse.Namespace) -> None:
    rows: list[Row] = []
    for label, ours, theirs in (
        ("whole command (connect, login, LIST, QUIT)", "parlor", "ftplib"),
        ("LIST alone, on an open session", "parlor_list", "ftplib_list"),
    ):
        ratios = [p / f for p, f in zip(results[ours], results[theirs], strict=True)]
        parlor, anchor = statistics.median(results[ours]), statistics.median(results[theirs])
        rows.append((label, parlor, anchor, parlor / anchor, min(ratios), max(ratios)))
        console.print(
            f"{label}: parlor {parlor * 1000:.1f} ms, ftplib {anchor * 1000:.1f} ms,"
            f" ratio {parlor / anchor:.2f} (rounds {min(ratios):.2f}–{max(ratios):.2f});"
            f" {FILES / parlor:,.0f} lines/s"
        )
    if args.write_md:
        write_markdown(rows, args)


Row = tuple[str, float, float, float, float, float]


def write_markdown(rows: list[Row], args: argparse.Namespace) -> None:
    table = "\n".join(
        f"| {label} | {anchor * 1000:.1f} | {parlor * 1000:.1f} | **{ratio:.2f}** |"
        f" {low:.2f}–{high:.2f} |"
        for label, parlor, anchor, ratio, low, high in rows
    )
    body = f"""## {SECTION}

Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core machine, Python {platform.python_version()};
`bench/ftp_ls.py`. A pyftpdlib server in its own process serves a directory of {FILES:,}
files on loopback; parlor's side is what `parlor ftp ls URL` runs, in-process (`Session` and
`listing` from `parlor.tools.ftp`, each line escaped by `printable`), the anchor a bare
`ftplib` script doing the same LIST (`connect`, `login`, `retrlines`, `quit`). Each round
times {args.listings} listings of each side, alternating (the order flips each round);
medians over {args.rounds} rounds. Ratio: parlor's time over ftplib's (above 1 is slower);
the range is the per-round ratios'.

| what is timed | ftplib (ms) | parlor (ms) | ratio | range |
| --- | ---: | ---: | ---: | ---: |
{table}

Reproduce: `.venv/bin/python bench/ftp_ls.py --rounds {args.rounds} --listings {args.listings} --write-md`
"""  # noqa: E501
    replace_section(SECTION, body)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
