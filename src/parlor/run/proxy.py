"""Trusting a reverse proxy's word on the scheme and the client's address.

Behind a TLS-terminating proxy every request reaches parlor over plain HTTP
from the proxy's address. The proxy says what it saw in ``X-Forwarded-Proto``
and ``X-Forwarded-For`` (de facto) or ``Forwarded`` (RFC 7239). Anyone can
send those headers, so they count only when the connection comes from an
address the operator named (``--forwarded-allow-ips``, off by default):
otherwise they are ignored and the connection's own scheme and peer stand.

The client address is found as RFC 7239 §7.4 advises: walk the list of hops
from the right (the hop nearest to us), past every trusted proxy, and take the
first address that is not one. Everything here is a pure function of its
inputs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Peer:
    """Where a request came from, as the application should see it."""

    scheme: str
    address: str


class TrustedProxies:
    """The addresses whose forwarding headers are believed; empty trusts nobody."""

    def __init__(self, networks: Iterable[IPNetwork] = (), *, everyone: bool = False) -> None:
        self.networks = tuple(networks)
        self.everyone = everyone

    @classmethod
    def parse(cls, spec: str) -> TrustedProxies:
        """``"127.0.0.1,10.0.0.0/8"``, ``"*"`` for any address, or ``""`` for none.

        Raises ValueError naming the entry that is not an address or network.
        """
        networks: list[IPNetwork] = []
        everyone = False
        for raw in spec.split(","):
            entry = raw.strip()
            if not entry:
                continue
            if entry == "*":
                everyone = True
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(
                    f"{entry!r} in the forwarded-allow-ips list is not an IP address or"
                    " network (write e.g. 127.0.0.1, 10.0.0.0/8 or *)"
                ) from None
        return cls(networks, everyone=everyone)

    def __bool__(self) -> bool:
        return self.everyone or bool(self.networks)

    def trusts(self, address: str) -> bool:
        if self.everyone:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def resolve(self, scheme: str, peer: str, headers: Iterable[tuple[str, str]]) -> Peer:
        """The scheme and client address of a request that came from ``peer``.

        ``headers`` are the request's (name, value) pairs with lower-case names.
        """
        if not self or not self.trusts(peer):
            return Peer(scheme, peer)
        forwarded: list[str] = []
        x_for: list[str] = []
        x_proto: list[str] = []
        for name, value in headers:
            if name == "forwarded":
                forwarded.append(value)
            elif name == "x-forwarded-for":
                x_for.append(value)
            elif name == "x-forwarded-proto":
                x_proto.append(value)
        if forwarded:
            hops = parse_forwarded(",".join(forwarded))
            chain = [hop.get("for", "") for hop in hops]
            protos = [hop.get("proto", "") for hop in hops]
        else:
            chain = _split(",".join(x_for))
            protos = _split(",".join(x_proto))
        address, index = self._client(peer, [_bare_address(hop) for hop in chain])
        proto = protos[index] if 0 <= index < len(protos) else (protos[-1] if protos else "")
        proto = proto.lower()
        return Peer(proto if proto in ("http", "https") else scheme, address)

    def _client(self, peer: str, chain: list[str]) -> tuple[str, int]:
        """The first untrusted hop from the right, and its index in ``chain``."""
        for index in range(len(chain) - 1, -1, -1):
            hop = chain[index]
            if not hop or not self.trusts(hop) or index == 0:
                return (hop or peer), index
        return peer, -1


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """RFC 7239 §4: comma-separated elements of semicolon-separated ``name=value`` pairs."""
    hops: list[dict[str, str]] = []
    for element in _split_outside_quotes(value, ","):
        pairs: dict[str, str] = {}
        for pair in _split_outside_quotes(element, ";"):
            name, sep, raw = pair.partition("=")
            if not sep or not name.strip():
                continue
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = raw[1:-1].replace('\\"', '"')
            pairs[name.strip().lower()] = raw
        hops.append(pairs)
    return hops


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _split_outside_quotes(value: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def _bare_address(hop: str) -> str:
    """``[2001:db8::1]:4711`` → ``2001:db8::1``; ``192.0.2.1:80`` → ``192.0.2.1``."""
    hop = hop.strip()
    if hop.startswith("["):
        return hop[1:].partition("]")[0]
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop
