"""Every setting parlor has, with its default, in one place.

Precedence: command-line flags, then ``PARLOR_*`` environment variables, then
the defaults below, which work with no configuration at all (SQLite under
./var/, ports 36000 / 8008 / 36001).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

#: The largest id or counter the store keeps (a signed 64-bit BIGINT): a larger one names nothing.
MAX_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class HouseLimits:
    """What the house allows when a session is opened."""

    default_bankroll: int = 1000
    max_bankroll: int = 1_000_000
    default_table_min: int = 10
    default_table_max: int = 500
    #: The lowest table minimum and the highest table maximum a session may ask for.
    min_bet: int = 1
    max_bet: int = 100_000
    max_name_length: int = 64
    max_client_seed_length: int = 64


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = "sqlite:///var/parlor.db"
    host: str = "127.0.0.1"
    port: int = 36000
    web_port: int = 8008
    tcp_port: int = 36001
    #: Seconds a table's betting window stays open once SPIN opens it.
    betting_window: float = 10.0
    workers: int = 1
    #: How long a write waits for SQLite's lock before the request fails with "busy".
    sqlite_busy_timeout: float = 5.0
    #: WAL with NORMAL survives any crash of parlor itself; FULL also survives power loss,
    #: at the cost of one fsync per commit.
    sqlite_synchronous: str = "NORMAL"
    #: Where `parlor web` reaches the REST service; empty: this host's service port.
    service_url: str = ""
    #: Where the web app's forms put uploaded files (never under a served path).
    upload_dir: str = "var/uploads"
    #: A browser's visit ends after this many seconds without a request...
    web_idle_timeout: float = 1200.0
    #: ...and this many seconds after it began, however active.
    web_max_age: float = 43200.0
    #: How long the web app waits for the service, per attempt, before it says so.
    web_service_timeout: float = 3.0
    #: Threads per worker that run the apps. The front door reads every body
    #: before a thread is involved, so a thread is only ever busy with work:
    #: Granian's guidance for WSGI, 2 × cores + 1.
    request_threads: int = 2 * (os.cpu_count() or 1) + 1
    #: Seconds a request body may take to arrive in full (then 408)...
    body_timeout: float = 10.0
    #: ...and the largest body the front door reads at all (then 413).
    max_body_bytes: int = 1024 * 1024
    #: Bytes of answers each front door keeps to serve again (what apps mark public).
    cache_bytes: int = 8 * 1024 * 1024
    #: Proxies whose X-Forwarded-Proto/-For and Forwarded headers are believed:
    #: comma-separated addresses or networks, "*" for any; empty: nobody.
    forwarded_allow_ips: str = ""
    #: The realm of HTTP Basic and Digest. Digest secrets are stored per realm: changing
    #: it makes Digest fail for each account until its password is set again.
    auth_realm: str = "parlor"
    #: Keys the Digest nonces, so that every worker accepts the others'. Empty: one
    #: random key per run of `parlor service` (nonces then end with the run).
    auth_secret: str = field(default="", repr=False)
    #: Seconds a Digest nonce is good for; then clients are told it is stale.
    nonce_lifetime: float = 300.0
    #: Front ends that log players in on their behalf (parlor's web app) and throttle
    #: them per browser address themselves: the service counts their failed logins
    #: per account only. Comma-separated addresses; default: this machine (loopback,
    #: and the address the service listens on, which is where the web app reaches it).
    login_front_ends: str = "127.0.0.1,::1"
    #: Chips a new player account starts with, granted by the house.
    starting_chips: int = 1000
    #: A UCI chess engine (Debian's /usr/games/stockfish, say) that plays the computer's
    #: seat in chess; empty: no computer opponent.
    chess_engine: str = ""
    #: Seconds the engine thinks about each move.
    chess_engine_time: float = 0.5
    #: Games the computer plays at once (one engine thread serves them in turn).
    chess_engine_games: int = 20
    limits: HouseLimits = field(default_factory=HouseLimits)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, overridden by PARLOR_<NAME> variables, overridden by non-None ``overrides``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name == "limits":
                continue
            raw = environ.get(f"PARLOR_{spec.name.upper()}")
            if raw is not None:
                values[spec.name] = _coerce(spec.name, raw, type(getattr(_DEFAULTS, spec.name)))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(_DEFAULTS, **values)

    @property
    def service_base_url(self) -> str:
        """The service as the web app reaches it: ``service_url``, else this host's port."""
        if self.service_url:
            return self.service_url.rstrip("/")
        # A wildcard address is where to listen, not where to connect: use loopback.
        wildcards = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104
        host = wildcards.get(self.host, self.host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"


def _coerce(name: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"PARLOR_{name.upper()}={raw!r} is not a valid {kind.__name__}") from None


_DEFAULTS = Settings()
