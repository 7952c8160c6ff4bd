"""A PEP 3333 environ for a request the front door has read whole.

The WSGI apps behind the front door see an ordinary WSGI request whose body
has already arrived: ``wsgi.input`` is an in-memory file of exactly
``CONTENT_LENGTH`` bytes, and a body that came chunked is presented as if it
had come with a length (no ``Transfer-Encoding`` reaches the app). Pure: the
scope's fields go in, a dict comes out.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from typing import Any

from parlor.run.proxy import Peer

#: Request headers that WSGI carries outside HTTP_* or that describe a body
#: framing the app no longer sees.
_NOT_PASSED = frozenset({"content-type", "content-length", "transfer-encoding"})


def split_host_port(value: str, default_port: str) -> tuple[str, str]:
    """``"[::1]:8008"`` → ``("::1", "8008")``; ``"example.org"`` → ``("example.org", default)``."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else default_port
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, port
    return value, default_port


def wsgi_string(text: str) -> str:
    """PEP 3333's "native string": the request's bytes, each as one latin-1 character.

    Granian hands the path (percent-decoded) and the query as UTF-8 text; WSGI
    apps (Falcon among them) expect the bytes, latin-1 decoded, and decode
    UTF-8 themselves.
    """
    return text if text.isascii() else text.encode("utf-8", "surrogateescape").decode("latin-1")


#: Granian names HTTP/1.0 "1" (and 1.1 "1.1", 2 "2"); PEP 3333 wants the request's own
#: protocol string, "HTTP/1.0".
_PROTOCOLS = {"1": "HTTP/1.0", "1.0": "HTTP/1.0", "1.1": "HTTP/1.1", "2": "HTTP/2", "2.0": "HTTP/2"}


def server_protocol(http_version: str) -> str:
    """``SERVER_PROTOCOL`` for the version Granian reports (PEP 3333, CGI's RFC 3875 §4.1.16)."""
    return _PROTOCOLS.get(http_version, f"HTTP/{http_version}")


def build_environ(
    *,
    method: str,
    path: str,
    query_string: str,
    http_version: str,
    server: str,
    peer: Peer,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    multiprocess: bool,
) -> dict[str, Any]:
    """The environ of one complete request.

    ``server`` is the listening address ``host:port``; ``peer`` the client as
    resolved by the trusted-proxy rules; ``headers`` (name, value) pairs with
    lower-case names, repeated names in the order they came.
    """
    server_name, server_port = split_host_port(server, "80")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": wsgi_string(path),
        "QUERY_STRING": wsgi_string(query_string),
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": server_protocol(http_version),
        "REMOTE_ADDR": peer.address,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": peer.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
    }
    if body or method in ("POST", "PUT", "PATCH"):
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in headers:
        if "_" in name:
            # "X_Forwarded_For" would become the same HTTP_X_FORWARDED_FOR key as
            # "X-Forwarded-For": drop such names, as nginx and gunicorn do.
            continue
        if name in _NOT_PASSED:
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        if key in environ:
            # RFC 9110 §5.3: repeated fields combine with commas; cookies with
            # "; " (RFC 6265 §5.4), which is how a browser would have sent them.
            environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
        else:
            environ[key] = value
    return environ
