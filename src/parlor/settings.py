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
    workers: int = 1
    #: How long a write waits for SQLite's lock before the request fails with "busy".
    sqlite_busy_timeout: float = 5.0
    #: WAL with NORMAL survives any crash of parlor itself; FULL also survives power loss,
    #: at the cost of one fsync per commit.
    sqlite_synchronous: str = "NORMAL"
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


def _coerce(name: str, raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"PARLOR_{name.upper()}={raw!r} is not a valid {kind.__name__}") from None


_DEFAULTS = Settings()
