"""Trusting a proxy's forwarding headers only when the connection comes from it."""

from __future__ import annotations

import pytest

from parlor.run.proxy import Peer, TrustedProxies, parse_forwarded

PROXY = "10.0.0.5"


@pytest.mark.parametrize(
    ("spec", "headers", "expected"),
    [
        # Nobody is trusted by default: the headers change nothing.
        ("", [("x-forwarded-proto", "https"), ("x-forwarded-for", "203.0.113.9")],
         Peer("http", PROXY)),
        ("10.0.0.0/8", [("x-forwarded-proto", "https"), ("x-forwarded-for", "203.0.113.9")],
         Peer("https", "203.0.113.9")),
        ("*", [("x-forwarded-proto", "HTTPS")], Peer("https", PROXY)),
        # The proxy appends what it saw: the rightmost untrusted hop is the client.
        ("10.0.0.0/8", [("x-forwarded-for", "198.51.100.1, 203.0.113.9")],
         Peer("http", "203.0.113.9")),
        ("10.0.0.0/8", [("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.0.0.7")],
         Peer("http", "203.0.113.9")),
        ("10.0.0.0/8", [("x-forwarded-for", "198.51.100.1"), ("x-forwarded-for", "10.1.1.1")],
         Peer("http", "198.51.100.1")),
        # An unknown scheme is ignored, not believed.
        ("10.0.0.5", [("x-forwarded-proto", "gopher")], Peer("http", PROXY)),
        # RFC 7239 Forwarded wins over the X- headers, quoted IPv6 with a port included.
        ("10.0.0.0/8",
         [("forwarded", 'for="[2001:db8::1]:4711";proto=https'),
          ("x-forwarded-for", "198.51.100.1")],
         Peer("https", "2001:db8::1")),
        ("10.0.0.0/8", [("forwarded", "for=192.0.2.60;proto=https, for=10.0.0.9")],
         Peer("https", "192.0.2.60")),
        ("10.0.0.0/8", [("forwarded", "for=192.0.2.60:80")], Peer("http", "192.0.2.60")),
    ],
)  # fmt: skip
def test_resolve(spec: str, headers: list[tuple[str, str]], expected: Peer) -> None:
    assert TrustedProxies.parse(spec).resolve("http", PROXY, headers) == expected


def test_headers_from_an_address_not_allowed_are_ignored() -> None:
    proxies = TrustedProxies.parse("127.0.0.1")
    assert proxies
    forged = [("x-forwarded-proto", "https"), ("x-forwarded-for", "1.2.3.4")]
    assert proxies.resolve("http", "192.0.2.1", forged) == Peer("http", "192.0.2.1")
    assert proxies.resolve("http", "not an address", forged) == Peer("http", "not an address")


def test_no_proxies_is_falsy() -> None:
    assert not TrustedProxies.parse(" , ")


@pytest.mark.parametrize("spec", ["localhost", "10.0.0.0/33", "1.2.3.4.5"])
def test_a_bad_entry_is_named(spec: str) -> None:
    with pytest.raises(ValueError, match="forwarded-allow-ips"):
        TrustedProxies.parse(f"127.0.0.1,{spec}")


def test_parse_forwarded_quotes() -> None:
    assert parse_forwarded('for="a,b";by=x, proto=https') == [
        {"for": "a,b", "by": "x"},
        {"proto": "https"},
    ]
    assert parse_forwarded("garbage, ;=") == [{}, {}]
