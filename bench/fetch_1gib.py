"""``parlor fetch -o`` of a 1 GiB file over loopback, beside ``curl -o`` of the same URL.

One server for both: a small threaded HTTP server in its own process that answers with
``os.sendfile``, so the kernel, not Python, feeds the socket and the server is not what the
two clients are measured against. The file is 1 GiB (``--size-mib``) of random bytes, so
nothing compresses; it and FILE live in ``/dev/shm`` (memory) where there is one, so the disk's
write-back throttling, which varies by a factor of ten from one run to the next here, is not
what is measured. Each round runs ``curl -s -o FILE URL`` and ``parlor fetch URL -o FILE``
(the order alternates), each a fresh process; FILE is deleted between runs.

Two throughputs per run: the transfer's (size over the client's own timing: curl's
``%{time_total}``, parlor's summary line, both from the connection to the file's close), and
the process's (size over the wall time from start to exit, start-up included: curl starts in
milliseconds, a Python program in a few hundred). The bar is the transfer's: parlor's median
at >= 80% of curl's. Peak memory is each client's maximum resident set (``wait4``'s
``ru_maxrss``), to show that fetch streams: it stays flat however large the file. Every
parlor result is checked byte for byte (its SHA-256 against the file's).

    .venv/bin/python bench/fetch_1gib.py [--rounds 5] [--size-mib 1024] [--write-md]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from mdsection import replace_section

SECTION = "fetch: 1 GiB over loopback beside curl"

SENDFILE_SERVER = r"""
import os, socket, sys, threading
path = sys.argv[1]
size = os.path.getsize(path)
listener = socket.create_server(("127.0.0.1", 0), backlog=64)
print(listener.getsockname()[1], flush=True)

def serve(conn):
    with conn, open(path, "rb") as handle:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % size)
        sent = 0
        while sent < size:
            sent += os.sendfile(conn.fileno(), handle.fileno(), sent, size - sent)

while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


def make_file(path: Path, size: int) -> str:
    block = os.urandom(1 << 20)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for index in range(size >> 20):
            # Each MiB differs (its index up front), so no layer can dedupe or compress it.
            chunk = index.to_bytes(8, "big") + block[8:]
            out.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


SUMMARY_SECONDS = re.compile(r"\(([0-9.]+) s, ")


def timed(name: str, command: list[str]) -> tuple[float, float, int]:
    """(transfer seconds, wall seconds, peak resident KiB) of one run of ``command``."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stderr is not None
    out, err = child.stdout.read(), child.stderr.read()  # a line or two each: no deadlock
    _, status, usage = os.wait4(child.pid, 0)  # reaped here, so its own rusage is ours to read
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{name} failed with exit code {child.returncode}: {err}")
    if name == "curl":
        transfer = float(out.strip())
    else:
        found = SUMMARY_SECONDS.search(err)
        if found is None:
            raise SystemExit(f"no summary line from parlor fetch: {err!r}")
        transfer = float(found.group(1))
    return transfer, wall, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--write-md", action="store_true")
    args = parser.parse_args()
    curl = shutil.which("curl")
    if curl is None:
        raise SystemExit("this benchmark needs curl: apt-get install curl")
    parlor = str(Path(sys.executable).with_name("parlor"))
    console = Console()
    size = args.size_mib << 20
    shm = Path("/dev/shm")
    place = shm if shm.is_dir() else Path(__file__).resolve().parent.parent / "var"
    with tempfile.TemporaryDirectory(dir=place) as work:
        folder = Path(work)
        source = folder / "source.bin"
        console.print(f"writing {args.size_mib} MiB of random bytes…")
        expected = make_file(source, size)
        server = subprocess.Popen(
            [sys.executable, "-c", SENDFILE_SERVER, str(source)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            url = f"http://127.0.0.1:{server.stdout.readline().strip()}/source.bin"
            target = folder / "out.bin"
            runs: dict[str, list[tuple[float, float, int]]] = {"curl": [], "parlor": []}
            commands = {
                "curl": [curl, "-s", "-o", str(target), "-w", "%{time_total}", url],
                "parlor": [parlor, "fetch", url, "-o", str(target)],
            }
            for round_number in range(args.rounds):
                order = ["curl", "parlor"] if round_number % 2 == 0 else ["parlor", "curl"]
                for name in order:
                    transfer, wall, peak = timed(name, commands[name])
                    if name == "parlor":
                        with target.open("rb") as result:
                            found = hashlib.file_digest(result, "sha256").hexdigest()
                        if found != expected:
                            raise SystemExit("parlor fetch saved different bytes")
                    target.unlink()
                    runs[name].append((transfer, wall, peak))
                    console.print(
                        f"round {round_number + 1} {name:6}: transfer {transfer:.2f} s"
                        f" ({size / transfer / 1e6:,.0f} MB/s), process {wall:.2f} s,"
                        f" peak {peak / 1024:.0f} MiB"
                    )
        finally:
            server.kill()
            server.wait()
    report(runs, size, args, console)


def report(
    runs: dict[str, list[tuple[float, float, int]]],
    size: int,
    args: argparse.Namespace,
    console: Console,
) -> None:
    def rates(name: str, which: int) -> list[float]:
        return [size / run[which] / 1e6 for run in runs[name]]

    transfer = {name: rates(name, 0) for name in runs}
    process = {name: rates(name, 1) for name in runs}
    median = {name: statistics.median(values) for name, values in transfer.items()}
    median_process = {name: statistics.median(values) for name, values in process.items()}
    peaks = {name: max(run[2] for run in values) / 1024 for name, values in runs.items()}
    ratios = [p / c for p, c in zip(transfer["parlor"], transfer["curl"], strict=True)]
    ratio = median["parlor"] / median["curl"]
    process_ratio = median_process["parlor"] / median_process["curl"]
    verdict = "PASS" if ratio >= 0.8 else "FAIL"
    console.print(
        f"transfer: curl {median['curl']:,.0f} MB/s, parlor fetch {median['parlor']:,.0f} MB/s:"
        f" {ratio:.1%} (rounds {min(ratios):.1%}-{max(ratios):.1%}; bar 80%: {verdict});"
        f" whole process {process_ratio:.1%};"
        f" peak memory curl {peaks['curl']:.0f} MiB, parlor {peaks['parlor']:.0f} MiB"
    )
    if not args.write_md:
        return

    def spread(values: list[float]) -> str:
        return f"{min(values):,.0f}–{max(values):,.0f}"

    body = f"""## {SECTION}

Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core machine, Python {platform.python_version()};
`bench/fetch_1gib.py`. One server for both clients (a threaded `os.sendfile` server in its own
process), a {size >> 20} MiB file of random bytes; source and result in `/dev/shm`, so the
disk's write-back is not what is measured. Each client a fresh process, {args.rounds}
alternating rounds, medians (range across rounds). Each parlor result is checked by SHA-256.
"Transfer" is the client's own timing of the download (curl's `%{{time_total}}`, parlor's
summary line); "process" is start to exit, Python's start-up included.

| client | transfer MB/s | range | process MB/s | range | peak memory |
| --- | ---: | ---: | ---: | ---: | ---: |
| `curl -s -o FILE URL` (anchor) | {median["curl"]:,.0f} | {spread(transfer["curl"])} | {median_process["curl"]:,.0f} | {spread(process["curl"])} | {peaks["curl"]:.0f} MiB |
| `parlor fetch URL -o FILE` | {median["parlor"]:,.0f} | {spread(transfer["parlor"])} | {median_process["parlor"]:,.0f} | {spread(process["parlor"])} | {peaks["parlor"]:.0f} MiB |

**Ratio: {ratio:.1%}** of curl's transfer throughput (rounds:
{", ".join(f"{r:.1%}" for r in ratios)}); bar (>= 80%): **{verdict}**. Whole processes,
start-up included: {process_ratio:.1%}. parlor's peak memory is its interpreter and imports:
the body streams through in chunks, so it is the same for any size.

Reproduce: `.venv/bin/python bench/fetch_1gib.py --rounds {args.rounds} --size-mib {args.size_mib} --write-md`
"""  # noqa: E501
    replace_section(SECTION, body)


if __name__ == "__main__":
    main()
