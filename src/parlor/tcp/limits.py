"""What a line server allows each connection, and all of them: pure, the clock passed in.

- **Flooding** (``Penalty``): IRC's penalty timer (RFC 2813 §5.8). Each
  connection has a timer that never runs behind the clock; each command it
  sends moves the timer one ``interval`` on. A command that would put the
  timer more than ``burst`` intervals ahead is refused (``452``) and moves
  nothing, so a client that slows to one command per interval is served
  again at once, and one that keeps sending gets nothing but refusals, each
  costing the server almost nothing.
- **Unknown commands**: ``max_unknown`` in a row end the connection (``421``),
  as aiosmtpd does; any known command resets the count.
- **Connections** (``Admission``): at most ``total`` at once, and at most
  ``per_address`` from one address; past either, ``421`` on connect.

The idle timeout, the longest line and the send queue are the server's own
(``parlor.tcp.server``): they need the loop and the socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_BURST = 10
DEFAULT_INTERVAL = 1.0
DEFAULT_MAX_UNKNOWN = 10
DEFAULT_MAX_CONNECTIONS = 10_000
DEFAULT_PER_ADDRESS = 100
DEFAULT_IDLE = 600.0
#: Bytes of replies and events a client may leave unread before it is dropped.
DEFAULT_MAX_SENDQ = 256 * 1024
#: The echo server's (``parlor echo``): the port the seed's example uses, and its idle close.
#: Here, not in ``parlor.tcp.echo``, so the command line reads them without asyncio.
ECHO_PORT = 7000
ECHO_IDLE = 300.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit of one tables server (``parlor tables --help`` lists them)."""

    burst: int = DEFAULT_BURST
    interval: float = DEFAULT_INTERVAL
    max_unknown: int = DEFAULT_MAX_UNKNOWN
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    per_address: int = DEFAULT_PER_ADDRESS
    idle: float = DEFAULT_IDLE
    max_sendq: int = DEFAULT_MAX_SENDQ

    def __post_init__(self) -> None:
        if self.burst < 1 or self.max_unknown < 1:
            raise ValueError("the burst and the unknown-command limit are at least 1")
        if self.interval <= 0 or self.idle <= 0:
            raise ValueError("the flood interval and the idle timeout are positive seconds")
        if self.max_connections < 1 or self.per_address < 1 or self.max_sendq < 1024:
            raise ValueError(
                "allow at least one connection, one per address, and a send queue of 1 KiB"
            )


@dataclass(slots=True)
class Penalty:
    """One connection's penalty timer."""

    burst: int = DEFAULT_BURST
    interval: float = DEFAULT_INTERVAL
    timer: float = 0.0

    def admit(self, now: float) -> bool:
        """Whether a command sent at ``now`` may run; if it may, it is counted."""
        start = max(self.timer, now)
        if start + self.interval - now > self.burst * self.interval:
            return False
        self.timer = start + self.interval
        return True

    def wait(self, now: float) -> float:
        """Seconds until a command would be admitted again."""
        return max(0.0, self.timer + self.interval - now - self.burst * self.interval)


@dataclass(slots=True)
class Admission:
    """Connections open now, in total and per address."""

    total: int = DEFAULT_MAX_CONNECTIONS
    per_address: int = DEFAULT_PER_ADDRESS
    open: dict[str, int] = field(default_factory=dict)
    #: Connections open now, in all.
    count: int = 0

    def enter(self, address: str) -> str | None:
        """Admit a connection from ``address``; or say why not (and admit nothing)."""
        if self.count >= self.total:
            return f"the server is full ({self.total} connections): try again later"
        if self.open.get(address, 0) >= self.per_address:
            return f"too many connections from {address} ({self.per_address}): close one first"
        self.open[address] = self.open.get(address, 0) + 1
        self.count += 1
        return None

    def leave(self, address: str) -> None:
        if address not in self.open:
            return
        self.count -= 1
        left = self.open[address] - 1
        if left > 0:
            self.open[address] = left
        else:
            self.open.pop(address, None)
