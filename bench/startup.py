"""How fast `parlor` starts, and what its server workers carry: this checkout beside an older one.

Run:  .venv/bin/python bench/startup.py [--before REF] [--rounds 5] [--write-md]

For this checkout and for ``--before`` (a git commit, checked out into a temporary worktree),
in alternating order, ``--rounds`` times each:

* ``parlor --help``: wall time of the whole process;
* ``parlor service`` on a fresh SQLite file: time from the command to the first answer of
  ``GET /api/v1/rules``, and the resident memory of Granian's worker (a spawned process that
  imports the ``parlor`` command again) and of its app process, once it has answered.

Medians are reported, with the range across rounds. The anchor of each row is the same figure
for the older code.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from beside import beside
from mdsection import replace_section

SECTION = "Start-up: `parlor --help` and a service worker"
#: The last commit whose CLI imported every command (and so NumPy and numba) at start.
DEFAULT_BEFORE = "bd936d6"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def measure(src: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    parlor = [sys.executable, "-m", "parlor"]
    started = time.perf_counter()
    subprocess.run([*parlor, "--help"], env=env, check=True, capture_output=True)
    help_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        started = time.perf_counter()
        server = subprocess.Popen(
            [*parlor, "service", "--port", str(port), "--database", f"sqlite:///{tmp}/p.db"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/rules"):
                        break
                except OSError:
                    if time.perf_counter() - started > 60:
                        raise SystemExit("parlor service did not answer within 60 s") from None
                    time.sleep(0.01)
            first_answer_s = time.perf_counter() - started
            workers = _children(server.pid)
            apps = [app for worker in workers for app in _children(worker)]
            worker_kb = sum(_rss_kb(pid) for pid in workers)
            app_kb = sum(_rss_kb(pid) for pid in apps)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "help_s": help_s,
        "first_answer_s": first_answer_s,
        "worker_mb": worker_kb / 1024,
        "app_mb": app_kb / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", default=DEFAULT_BEFORE, help="git ref of the older code")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write-md", action="store_true")
    args = parser.parse_args()
    results = beside(
        args.before,
        args.rounds,
        measure,
        lambda result: ", ".join(f"{k} {v:.2f}" for k, v in result.items()),
    )
    body = _report(results, args)
    print(body)
    if args.write_md:
        replace_section(SECTION, body)


def _report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> str:
    def cell(which: str, key: str, unit: str) -> str:
        values = [r[key] for r in results[which]]
        return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}–{max(values):.2f})"

    rows = []
    labels = {"before": f"before ({args.before})", "after": "after"}
    for which, label in labels.items():
        rows.append(
            f"| {label} | {cell(which, 'help_s', 's')} | {cell(which, 'first_answer_s', 's')}"
            f" | {cell(which, 'worker_mb', 'MB')} | {cell(which, 'app_mb', 'MB')} |"
        )
    ratio = statistics.median(r["help_s"] for r in results["after"]) / statistics.median(
        r["help_s"] for r in results["before"]
    )
    return f"""## {SECTION}

`.venv/bin/python bench/startup.py --before {args.before} --rounds {args.rounds} --write-md`

Medians of {args.rounds} rounds, alternating, range in brackets. `parlor --help` is the whole
process; the first answer is `GET /api/v1/rules` after `parlor service` on a fresh SQLite file;
RSS is Granian's worker (spawned, so it imports the `parlor` command again) and its app process.

| code | `parlor --help` | first answer | worker RSS | app process RSS |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

`parlor --help` takes {ratio:.0%} of the time it took: the commands import NumPy, numba and
httpx only when they run, so neither the help nor a server's workers load them.
"""


if __name__ == "__main__":
    main()
