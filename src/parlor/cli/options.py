"""The options several commands share: one spelling and one help text each.

Options follow one rule: a flag wins, then a ``PARLOR_*`` environment
variable, then the default in ``settings.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from parlor.settings import Settings

Host = Annotated[
    str | None,
    typer.Option(
        help="Address to listen on \\[env PARLOR_HOST; default 127.0.0.1]", show_default=False
    ),
]
Port = Annotated[
    int | None,
    typer.Option(
        help="Port of the REST service \\[env PARLOR_PORT; default 36000]",
        min=0,
        max=65535,
        show_default=False,
    ),
]
Database = Annotated[
    str | None,
    typer.Option(
        help="sqlite:///path or postgresql://… \\[env PARLOR_DATABASE_URL;"
        " default sqlite:///var/parlor.db]",
        show_default=False,
    ),
]
WebPort = Annotated[
    int | None,
    typer.Option(
        "--web-port",
        help="Port of the web app for people \\[env PARLOR_WEB_PORT; default 8008]",
        min=0,
        max=65535,
        show_default=False,
    ),
]
TcpPort = Annotated[
    int | None,
    typer.Option(
        "--tcp-port",
        help="Port of the roulette tables over TCP \\[env PARLOR_TCP_PORT; default 36001]",
        min=0,
        max=65535,
        show_default=False,
    ),
]
BettingWindow = Annotated[
    float | None,
    typer.Option(
        "--betting-window",
        help="Seconds a table's betting window stays open once SPIN opens it"
        " \\[env PARLOR_BETTING_WINDOW; default 10]",
        min=0.05,
        show_default=False,
    ),
]
ServiceUrl = Annotated[
    str | None,
    typer.Option(
        help="Where the REST service answers, e.g. http://10.0.0.5:36000"
        " \\[env PARLOR_SERVICE_URL; default this host's --port]",
        show_default=False,
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(
        help="Server worker processes \\[env PARLOR_WORKERS; default 1]", min=1, show_default=False
    ),
]

ForwardedAllowIps = Annotated[
    str | None,
    typer.Option(
        "--forwarded-allow-ips",
        help="Reverse proxies to believe about the scheme and client address"
        " (X-Forwarded-Proto/-For, Forwarded): addresses or networks, comma-separated,"
        " or * for any; behind a TLS proxy this makes cookies Secure"
        " \\[env PARLOR_FORWARDED_ALLOW_IPS; default: none]",
        show_default=False,
    ),
]


ChessEngine = Annotated[
    str | None,
    typer.Option(
        "--chess-engine",
        help="A UCI chess engine to play people at chess, e.g. /usr/games/stockfish"
        " (Debian: apt-get install stockfish) \\[env PARLOR_CHESS_ENGINE; default: none]",
        show_default=False,
    ),
]


def settings_from(**overrides: Any) -> Settings:
    from parlor.run.chess_engine import EngineMissing, find_engine
    from parlor.run.proxy import TrustedProxies

    try:
        settings = Settings.from_env(**overrides)
        TrustedProxies.parse(settings.forwarded_allow_ips)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if settings.chess_engine:
        try:
            find_engine(settings.chess_engine)
        except EngineMissing as error:
            raise typer.BadParameter(str(error), param_hint="'--chess-engine'") from None
    return settings
