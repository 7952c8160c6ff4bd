"""Helpers of the in-process web tests: a browser that keeps its cookie, a clock to move.

``Browser`` keeps the visit cookie and the last page's CSRF token the way a
browser does, so a test reads like a person's clicks; ``seat`` hands a browser
a visit playing a session the test opened itself through the SDK.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.validate import validator

from falcon import testing

from parlor.client import RouletteClient
from parlor.web.app import create_app
from parlor.wsgi.sessions import SessionStore
from parlor.wsgi.types import StartResponse, WSGIEnvironment

#: Falcon's test client asks for http://falconframework.org, port 80.
COOKIE = "parlor_visit_80"
SERVICE = "http://service.test"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')
IDLE, MAX_AGE = 1200.0, 43200.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Browser:
    """One browser: its cookie jar (the visit cookie) and the token of the last page it saw."""

    def __init__(self, client: testing.TestClient) -> None:
        self.client = client
        self.cookie: str | None = None
        self.token: str | None = None
        self.nonce: str | None = None
        self.last: testing.Result | None = None

    def _keep(self, result: testing.Result) -> testing.Result:
        cookie = result.cookies.get(COOKIE)
        if cookie is not None:
            self.cookie = cookie.value
        if "text/html" in (result.headers.get("content-type") or ""):
            if match := TOKEN.search(result.text):
                self.token = match.group(1)
            if match := NONCE.search(result.text):
                self.nonce = match.group(1)
        self.last = result
        return result

    def _cookies(self) -> dict[str, str]:
        return {COOKIE: self.cookie} if self.cookie else {}

    def get(self, path: str, **kwargs: Any) -> testing.Result:
        path = path.split("#", 1)[0]
        return self._keep(self.client.simulate_get(path, cookies=self._cookies(), **kwargs))

    def post(
        self,
        path: str,
        fields: dict[str, str] | None = None,
        *,
        token: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> testing.Result:
        body = dict(fields or {})
        if token and self.token is not None:
            body.setdefault("csrf_token", self.token)
        result = self.client.simulate_post(
            path,
            body=urlencode(body),
            headers={**FORM, **(headers or {})},
            cookies=self._cookies(),
            **kwargs,
        )
        return self._keep(result)

    def submit(self, path: str, fields: dict[str, str] | None = None) -> testing.Result:
        """POST, check the 303, and follow it like a browser: the page a person then sees."""
        result = self.post(path, fields)
        assert result.status_code == 303, result.text
        location = result.headers["location"]
        return self.get(location)

    def start(self, name: str = "alice", wheel: str = "american") -> testing.Result:
        self.get("/")
        page = self.submit("/", {"name": name, "wheel": wheel})
        assert page.status_code == 200, page.text
        return page

    def bet(self, amount: str | int, **choice: str) -> testing.Result:
        """Submit the bet form: ``proposition=red`` (the select) or ``bet="split:17,20"``."""
        fields = {"amount": str(amount), **choice}
        if self.nonce is not None:
            fields.setdefault("nonce", self.nonce)
        return self.submit("/bets", fields)


def make_web(
    sdk: RouletteClient, clock: Clock, store: SessionStore, uploads: Path
) -> testing.TestClient:
    """The web app with its whole pipeline, as a server runs it, under the validator."""
    app = create_app(sdk, store, uploads=uploads, idle=IDLE, max_age=MAX_AGE, clock=clock)
    checked = validator(app)

    # Falcon's test client inspects the app's parameters; the validator takes *args.
    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return checked(environ, start_response)

    return testing.TestClient(wsgi)


def seat(browser: Browser, store: SessionStore, clock: Clock, session_id: str) -> None:
    """Give ``browser`` a visit playing ``session_id`` (a session the test opened via the SDK)."""
    visit_id = secrets.token_urlsafe(32)
    data = {"session_id": session_id, "csrf": secrets.token_urlsafe(24)}
    key = hashlib.sha256(visit_id.encode()).hexdigest()
    store.save(key, json.dumps(data), clock.now, clock.now)
    browser.cookie = visit_id
    browser.get("/table")
