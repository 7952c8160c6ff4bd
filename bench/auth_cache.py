"""What the pipes cost and save, on a real `parlor service`, each beside its anchor in one run.

1. **Digest.** `GET /api/v1/sessions/{id}` signed with HTTP Digest (SHA-256,
   qop=auth) beside the same GET unsigned, in alternating rounds on one server.
   A signed request is checked in full: the nonce's HMAC and age, the account's
   stored H(username:realm:password), the response, and the nonce count, raised
   in the database so no worker takes a replay. wrk cannot compute Digest, so the
   answers are made beforehand: the server runs with a known PARLOR_AUTH_SECRET,
   this script mints one fresh nonce per request with it (as the server would),
   and each request is the first use of its nonce (nc=1), whatever order the
   connections send them in. The cost per request is 1/rate signed − 1/rate unsigned.
2. **Cache.** `GET /api/v1/rules`, answered from the front door's cache, beside
   the anchor of the REST benchmarks: hello-world Falcon on plain Granian WSGI
   with parlor's worker and thread counts. Bar: at least 60% of its rate.

    .venv/bin/python bench/auth_cache.py [--seconds 10] [--rounds 3] [--write-md]
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mdsection import replace_section
from rest_bet import (
    CONNECTIONS,
    LUA_REPORT,
    ROOT,
    THREADS,
    WORKERS,
    free_port,
    granian_version,
    load_arguments,
    row,
    server,
    wrk,
)

DIGEST_SECTION = "Digest: a signed GET /api/v1/sessions/{id} beside the same GET unsigned"
CACHE_SECTION = "Cache: GET /api/v1/rules from the front door's cache vs hello-world"
USER, PASSWORD = "bench-player", "correct horse battery staple"
#: Signed requests made per second of a round: more than the server can answer.
HEADERS_PER_SECOND = 9000

LUA_SIGNED = """
local headers = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "%s", {["Authorization"] = headers[i]})
end
"""


def post(url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as answer:
        result: dict[str, object] = json.load(answer)
        return result


def challenge(base: str) -> object:
    """The service's SHA-256 Digest challenge, as a client first sees it."""
    from parlor.wsgi import digest

    try:
        urllib.request.urlopen(f"{base}/api/v1/accounts/me")
    except urllib.error.HTTPError as refused:
        with refused:
            offered = refused.headers.get_all("WWW-Authenticate") or []
        return digest.parse_challenge(offered[0])
    raise SystemExit("the service let an unsigned request read an account")


def signed_headers(secret: bytes, offered: object, path: str, count: int) -> list[str]:
    """``count`` Authorization values for GET ``path``, each on a nonce of its own."""
    from parlor.wsgi import digest

    assert isinstance(offered, digest.DigestChallenge)
    now = time.time()
    made = []
    for _ in range(count):
        fresh = replace(offered, nonce=digest.make_nonce(secret, now))
        answer = digest.answer_challenge(
            fresh, username=USER, password=PASSWORD, method="GET", uri=path
        )
        made.append(digest.render_authorization(answer))
    return made


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> None:
    args = load_arguments(__doc__)
    console = Console()
    work = Path(tempfile.mkdtemp(prefix="parlor-bench-auth-"))
    secret = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'bench'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "PARLOR_AUTH_SECRET": secret,
    }
    python = sys.executable
    hello_port, parlor_port = free_port(), free_port()
    hello_argv = [
        python, "-c",
        "from parlor.run.serve import run_wsgi; "
        f"run_wsgi('hello_app:create', host='127.0.0.1', port={hello_port},"
        f" workers={WORKERS}, label='hello', threads={THREADS})",
    ]  # fmt: skip
    parlor_argv = [
        python, "-m", "parlor", "service", "--port", str(parlor_port),
        "--database", f"sqlite:///{work / 'bench.db'}", "--workers", str(WORKERS),
    ]  # fmt: skip
    base = f"http://127.0.0.1:{parlor_port}"
    with server(parlor_argv, parlor_port, work / "parlor.log", env):
        post(f"{base}/api/v1/accounts", {"username": USER, "password": PASSWORD})
        session = str(post(f"{base}/api/v1/sessions", {"name": "watched"})["session"])
        offered = challenge(base)
    path = f"/api/v1/sessions/{session}"
    plain_script = work / "plain.lua"
    plain_script.write_text(LUA_REPORT)

    results: dict[str, list[dict[str, float]]] = {
        "plain": [],
        "signed": [],
        "hello": [],
        "rules": [],
    }
    with console.status("") as status:
        for round_ in range(1, args.rounds + 1):
            status.update(f"round {round_}/{args.rounds}: minting signed requests")
            count = HEADERS_PER_SECOND * args.seconds
            headers = signed_headers(secret.encode(), offered, path, count)
            signed_script = work / "signed.lua"
            signed_script.write_text(
                LUA_SIGNED % (", ".join(map(lua_string, headers)), path) + LUA_REPORT
            )
            with server(parlor_argv, parlor_port, work / "parlor.log", env):
                status.update(f"round {round_}/{args.rounds}: unsigned GET")
                results["plain"].append(wrk(f"{base}{path}", plain_script, args.seconds))
                status.update(f"round {round_}/{args.rounds}: Digest GET")
                results["signed"].append(wrk(f"{base}{path}", signed_script, args.seconds))
                status.update(f"round {round_}/{args.rounds}: cached rules")
                urllib.request.urlopen(f"{base}/api/v1/rules").close()  # stored
                results["rules"].append(wrk(f"{base}/api/v1/rules", plain_script, args.seconds))
            status.update(f"round {round_}/{args.rounds}: hello-world")
            with server(hello_argv, hello_port, work / "hello.log", env):
                results["hello"].append(
                    wrk(f"http://127.0.0.1:{hello_port}/hello", plain_script, args.seconds)
                )

    errors = {name: sum(r["errors"] for r in rs) for name, rs in results.items()}
    if any(errors.values()):
        raise SystemExit(f"requests failed {errors}: see {work}/*.log")
    med = {
        name: {key: statistics.median(r[key] for r in rs) for key in ("rps", "p50_ms", "p99_ms")}
        for name, rs in results.items()
    }
    cost_us = 1e6 / med["signed"]["rps"] - 1e6 / med["plain"]["rps"]
    costs = [
        1e6 / s["rps"] - 1e6 / p["rps"]
        for s, p in zip(results["signed"], results["plain"], strict=True)
    ]
    ratio = med["rules"]["rps"] / med["hello"]["rps"]
    ratios = [r["rps"] / h["rps"] for r, h in zip(results["rules"], results["hello"], strict=True)]
    verdict = "PASS" if ratio >= 0.60 else "FAIL"

    table = Table(title=f"wrk -t1 -c{CONNECTIONS} -d{args.seconds}s, medians of {args.rounds}")
    for column in ("request", "requests/s", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for name, label in (
        ("plain", "GET session, unsigned"),
        ("signed", "GET session, Digest SHA-256"),
        ("rules", "GET /api/v1/rules, cached"),
        ("hello", "hello-world, plain Granian"),
    ):
        figures = med[name]
        table.add_row(
            label, f"{figures['rps']:,.0f}", f"{figures['p50_ms']:.2f}", f"{figures['p99_ms']:.2f}"
        )
    console.print(table)
    console.print(
        f"Digest costs {cost_us:.0f} µs a request (rounds {min(costs):.0f}–{max(costs):.0f});"
        f" cached rules = {ratio:.1%} of hello-world (rounds {min(ratios):.1%}–{max(ratios):.1%};"
        f" bar 60%: {verdict})"
    )
    if args.write_md:
        write_markdown(med, cost_us, costs, ratio, ratios, verdict, args.seconds, args.rounds)


def write_markdown(
    med: dict[str, dict[str, float]],
    cost_us: float,
    costs: list[float],
    ratio: float,
    ratios: list[float],
    verdict: str,
    seconds: int,
    rounds: int,
) -> None:
    import sqlite3

    setting = (
        f"Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core machine, Python"
        f" {platform.python_version()}, SQLite {sqlite3.sqlite_version}, Granian"
        f" {granian_version()}; one `parlor service` on SQLite behind its front door,"
        f" {WORKERS} worker(s), {THREADS} request threads; `wrk -t1 -c{CONNECTIONS}"
        f" -d{seconds}s`, medians of {rounds} alternating rounds; no request failed."
    )
    command = (
        f"`.venv/bin/python bench/auth_cache.py --seconds {seconds} --rounds {rounds} --write-md`"
    )
    replace_section(
        DIGEST_SECTION,
        f"""## {DIGEST_SECTION}

{setting} Each signed request is the first use of a nonce the server would have made
(the script mints them with the server's `PARLOR_AUTH_SECRET`), so every one is checked in
full: nonce HMAC and age, the stored H(username:realm:password), the response, and the
nonce count raised in the database.

| request | requests/s | p50 latency | p99 latency |
| --- | ---: | ---: | ---: |
{row("`GET /api/v1/sessions/{id}` unsigned", med["plain"])}
{row("the same, Digest SHA-256 (qop=auth)", med["signed"])}

**Cost: {cost_us:.0f} µs per request** (rounds: {", ".join(f"{c:.0f}" for c in costs)} µs),
spread over parsing the header, a read of the account, the hashes and a write of the nonce
count (profiled in-process on one thread: about 100 µs, a quarter each for the parse and the
read, the rest the check and the write; threads contending for SQLite's lock add the rest).

Reproduce (needs `wrk`): {command}
""",
    )
    replace_section(
        CACHE_SECTION,
        f"""## {CACHE_SECTION}

{setting} The anchor is the REST benchmarks' own: hello-world Falcon on plain Granian WSGI.
`GET /api/v1/rules` is marked `public, max-age=300`; after the first request the front door
answers it from its `HttpCache` (the caching pipe's store) on its event loop, without the
app process.

| server | requests/s | p50 latency | p99 latency |
| --- | ---: | ---: | ---: |
{row("hello-world Falcon, plain Granian WSGI (anchor)", med["hello"])}
{row("parlor `GET /api/v1/rules`, from the cache", med["rules"])}

**Ratio: {ratio:.1%}** of hello-world (rounds: {", ".join(f"{r:.1%}" for r in ratios)}).
Bar (≥ 60%): **{verdict}**. Through the app process, as before the front door had the cache,
the same GET served 39% of hello-world in a spot check this session.

Reproduce (needs `wrk`): {command}
""",
    )


if __name__ == "__main__":
    main()
