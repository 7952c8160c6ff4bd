"""Templates and static files: Jinja2 with autoescape on, assets served from memory.

Every template is compiled once per process and cached by the environment.
Autoescaping is on for every template whatever its name, so anything a player
typed (a name like ``<script>``) reaches the page as text. ``StrictUndefined``
turns a misspelt variable into an error in the tests instead of a blank.

Static files (one stylesheet, one small script) are read once at start-up and
served with a content hash in their URL, so browsers may cache them forever.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import falcon
import jinja2

from parlor.roulette.wheel import label

_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def _chips(value: int) -> str:
    """Chips with a thousands separator: 12,500."""
    return f"{value:,}"


def _signed(value: int) -> str:
    """A net outcome with its sign: +170, −10 (a real minus sign), 0."""
    return f"+{value:,}" if value > 0 else f"−{-value:,}" if value < 0 else "0"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("parlor.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(chips=_chips, signed=_signed, pocket=label)
    return env


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def static_folder() -> Path:
    """Where the static files are: served as they are, so uploads never go there."""
    return Path(str(resources.files("parlor.web") / "static"))


def load_assets() -> dict[str, Asset]:
    folder = resources.files("parlor.web") / "static"
    assets = {}
    for entry in folder.iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if suffix in _STATIC_TYPES:
            body = entry.read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:12]
            assets[entry.name] = Asset(body, _STATIC_TYPES[suffix], digest)
    return assets


class Renderer:
    """Renders a template by name with the globals every page needs."""

    def __init__(self) -> None:
        self.env = environment()
        self.assets = load_assets()
        version = hashlib.sha256(b"".join(a.etag.encode() for a in self.assets.values()))
        self.env.globals["asset_version"] = version.hexdigest()[:12]

    def __call__(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)


class Static:
    """GET /static/{name}: the stylesheet and the script, cacheable for a year."""

    def __init__(self, assets: dict[str, Asset]) -> None:
        self._assets = assets

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        asset = self._assets.get(name)
        if asset is None:
            raise falcon.HTTPNotFound(description="No such file.")
        # Conditional requests (If-None-Match: 304) are the cache pipe's to answer.
        resp.etag = asset.etag
        resp.cache_control = ["public", "max-age=31536000", "immutable"]
        resp.content_type = asset.content_type
        resp.data = asset.body
