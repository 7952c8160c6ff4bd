"""Clients nobody here wrote, set up to talk to parlor: urllib's Digest handler, and curl.

Shared by the pipe's interop tests (tests/wsgi) and the live ones (tests/e2e).
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from http.client import HTTPMessage
from typing import IO, Any

from tests.e2e.e2e_support import cannot_run


class MD5DigestHandler(urllib.request.HTTPDigestAuthHandler):
    """urllib's Digest handler, given the MD5 challenge rather than the first one.

    ``AbstractDigestAuthHandler.http_error_auth_reqed`` reads ``headers.get(...)``, the first
    ``WWW-Authenticate`` only, and ``get_algorithm_impls`` knows no SHA-256: left alone it
    raises on this server's first challenge. RFC 9110 §11.6.1 lets a client choose any.
    """

    def http_error_401(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage
    ) -> Any:
        for challenge in headers.get_all("WWW-Authenticate", []):
            if challenge.startswith("Digest ") and "algorithm=MD5," in challenge:
                return self.retry_http_digest_auth(req, challenge)
        return None


def curl(*args: str) -> tuple[str, str]:
    curl = shutil.which("curl")
    if curl is None:
        cannot_run("curl", "curl is not installed: the curl interop tests need it on PATH")
    done = subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--write-out",
            " %{http_code}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition(" ")
    return status, body
