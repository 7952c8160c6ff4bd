"""The pages of the tools that serve HTML (dump, environ, convert): one look, one policy.

Templates are ``parlor/tools/templates/*.html``, rendered by the web app's own Jinja2 set-up
(``parlor.web.render.environment``: autoescape on for every template, ``StrictUndefined``)
with this package's loader, so whatever a request carries reaches a page as text.

The look is the web app's stylesheet. The dump answers every path, so no path is left to
serve a stylesheet from: each page carries it inline, and the Content-Security-Policy names
that one ``<style>`` by its hash (a CSP Level 3 hash-source). Nothing else may load
or run: no script at all, no image, no frame; forms post only to this origin. Escaping
keeps a hostile path or header out of the markup; the policy is the second line.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

import jinja2
from markupsafe import Markup

from parlor.web.render import environment
from parlor.wsgi.errors import wants_json
from parlor.wsgi.types import WSGIEnvironment

HTML = "text/html; charset=utf-8"

#: What the tools' pages add to the web app's stylesheet.
_EXTRA_CSS = """
.tool { max-width: 60rem; margin: 1rem auto; }
.tool pre, .tool td code { white-space: pre-wrap; overflow-wrap: anywhere; }
.tool pre { background: #f8f6f0; border-radius: 8px; padding: .6rem .8rem; margin: 0 0 .8rem;
  font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85rem; }
.tool td, .tool th { vertical-align: top; }
.tool .key { white-space: nowrap; }
.pipe { display: inline-block; border-radius: 6px; padding: 0 .4rem; font-size: .8rem;
  background: #eef7f1; color: var(--felt-dark); white-space: nowrap; }
.pipe.changed { background: #fdf3dc; color: #6b4e00; }
.pipeline { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem; padding: 0; }
.pipeline li + li::before { content: "→ "; color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem;
  margin: 0 0 .8rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.converter { max-width: 30rem; margin: 1rem auto; }
.converter .answer { font-size: 1.3rem; font-weight: 700; color: var(--felt); }
"""


@cache
def stylesheet() -> str:
    """The web app's stylesheet and the tools' additions, as one ``<style>`` holds it."""
    web = (resources.files("parlor.web") / "static" / "parlor.css").read_text("utf-8")
    css = web + _EXTRA_CSS
    if "</" in css:  # would end the <style> element early
        raise ValueError("the stylesheet may not contain '</'")
    return css


@cache
def security_headers() -> tuple[tuple[str, str], ...]:
    """The headers every tool page is sent with."""
    digest = hashlib.sha256(stylesheet().encode("utf-8")).digest()
    style = "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"
    policy = "; ".join(
        (
            "default-src 'none'",
            f"style-src {style}",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )
    return (
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        # Every page shows one request, or one person's conversion: never kept.
        ("Cache-Control", "no-store"),
    )


#: C0 controls but tab, newline and carriage return, and DEL, as their Control Pictures
#: (U+2400…): a NUL or an ESC a client sent is seen, and never reaches a parser or terminal
#: as what it is. C1 controls become U+FFFD.
_VISIBLE = {
    **{code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\n\r"},
    0x7F: 0x2421,
    **dict.fromkeys(range(128, 160), 65533),
}


def visible(text: str) -> str:
    """``text`` with its control characters drawn as symbols (the ``visible`` filter)."""
    return text.translate(_VISIBLE)


@cache
def _environment() -> jinja2.Environment:
    env = environment()  # the web app's settings, so the same escaping rules
    env.loader = jinja2.PackageLoader("parlor.tools", "templates")
    env.globals["style"] = Markup(stylesheet())  # noqa: S704 - our own CSS, checked above
    env.filters["visible"] = visible
    return env


def render(name: str, **context: Any) -> str:
    """The template ``name`` rendered with ``context`` (every value escaped)."""
    return _environment().get_template(name).render(**context)


def wants_json_format(environ: WSGIEnvironment) -> bool:
    """``?format=json`` or ``?format=html`` decide; otherwise the client's Accept does."""
    query: str = environ.get("QUERY_STRING", "")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == "format" and value in ("json", "html"):
            return value == "json"
    return wants_json(environ)


def json_query(query: str) -> str:
    """The query of a page's link to itself as JSON (``href="?…"``: a query-only reference
    keeps the path, whatever it is)."""
    kept = "&".join(part for part in query.split("&") if part and not part.startswith("format="))
    return f"{kept}&format=json" if kept else "format=json"
