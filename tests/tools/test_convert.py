"""``parlor convert``: the seed's desktop converter, its rules, its form, and the real command.

The conversion and the form's rules are pure and tested as tables; the app through
``wsgiref.validate``; then the real ``parlor convert`` on a free port, with a "browser"
that records the address it was asked to open.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.validate import validator

import pytest

from parlor.run.environ import build_environ
from parlor.run.proxy import Peer
from parlor.run.request import call_app
from parlor.run.tooldoor import announce
from parlor.tools.converter import (
    LIMIT,
    MAX_LENGTH,
    Scale,
    convert,
    create_app,
    format_number,
    parse_temperature,
    read_conversion,
    round_half_away,
)
from parlor.web.forms import FormInvalid
from parlor.wsgi.types import WSGIApp
from tests.tools.server_support import ToolProcess, request

F, C = Scale.FAHRENHEIT, Scale.CELSIUS
FORM = "application/x-www-form-urlencoded"


# -- the conversion ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("-40", F, "-40"),
        ("-40", C, "-40"),
        ("212", F, "100"),
        ("100", C, "212"),
        ("37", C, "98.6"),
        ("98.6", F, "37"),
        ("32", F, "0"),
        ("0", C, "32"),
        ("100", F, "37.78"),  # 37.777…: two places
        ("0", F, "-17.78"),  # −17.777…: halves and more away from zero
        ("-459.67", F, "-273.15"),  # absolute zero, exactly
        ("-273.15", C, "-459.67"),
        ("0.001", C, "32.002"),  # 32.0018: as many places as typed
        ("0.00000000025", C, "32.0000000005"),  # a tie at ten places: away from zero
        ("1e3", C, "1832"),
        ("98.6 °F", F, "37"),
        ("212F", F, "100"),
        ("\N{MINUS SIGN}40 °C", C, "-40"),
        ("  +37.0  ", C, "98.6"),
        (".5", C, "32.9"),
    ],
)
def test_conversions(text: str, source: Scale, expected: str) -> None:
    assert format_number(convert(parse_temperature(text, source), source)) == expected


@pytest.mark.parametrize(
    ("exact", "places", "expected"),
    [
        (Fraction(5, 1000), 2, "0.01"),
        (Fraction(-5, 1000), 2, "-0.01"),
        (Fraction(4999, 1000000), 2, "0"),
        (Fraction(-1, 1000), 2, "0"),  # never −0
        (Fraction(1, 3), 4, "0.3333"),
        (Fraction(2, 3), 2, "0.67"),
    ],
)
def test_rounding_is_exact_and_half_away_from_zero(
    exact: Fraction, places: int, expected: str
) -> None:
    assert format_number(round_half_away(exact, places)) == expected


@pytest.mark.parametrize(
    ("text", "scale", "message"),
    [
        ("", F, "Enter a temperature."),
        ("abc", F, "Enter a number"),
        ("twelve", C, "Enter a number"),
        ("0x10", F, "Enter a number"),
        ("1_000", F, "Enter a number"),
        ("12 34", F, "Enter a number"),
        ("١٢", F, "Enter a number"),  # Arabic-Indic digits: not ASCII
        ("--5", F, "Enter a number"),
        ("1,5", C, "Use a point for decimals"),
        ("1,000", F, "Use a point for decimals"),
        ("nan", F, "finite"),
        ("-Infinity", C, "finite"),
        ("inf", F, "finite"),
        ("1e999", F, "within 1,000,000,000 degrees"),
        ("1e-400", F, "at most 32 characters without an exponent"),  # 400 digits written out
        ("1000000001", C, "within 1,000,000,000 degrees"),
        ("-460", F, "below absolute zero (\N{MINUS SIGN}459.67 °F)"),
        ("-273.16", C, "below absolute zero (\N{MINUS SIGN}273.15 °C)"),
        ("212C", F, "That is in °C: enter it in the Celsius field."),
        ("100 °F", C, "That is in °F"),
        ("1" * (MAX_LENGTH + 1), F, f"at most {MAX_LENGTH} characters"),
        ("<script>", F, "Enter a number"),
    ],
)
def test_nonsense_is_refused_with_a_reason(text: str, scale: Scale, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_temperature(text, scale)


def test_the_largest_magnitude_is_accepted() -> None:
    assert convert(LIMIT, C) == Decimal("1800000032")
    assert format_number(Decimal("-0")) == "0"
    assert format_number(Decimal("1E+2")) == "100"


# -- which field converts --------------------------------------------------------------------


def shown(source: Scale, fahrenheit: str, celsius: str) -> dict[str, str]:
    """The hidden fields a result page carries."""
    return {"shown_fahrenheit": fahrenheit, "shown_celsius": celsius, "source": source.value}


@pytest.mark.parametrize(
    ("fields", "source", "result"),
    [
        ({"fahrenheit": "212", "celsius": ""}, F, "100"),
        ({"fahrenheit": "", "celsius": "37"}, C, "98.6"),
        ({"celsius": "37"}, C, "98.6"),
        # Both filled on a result page: the one changed since wins...
        ({"fahrenheit": "50", "celsius": "100", **shown(F, "212", "100")}, F, "10"),
        ({"fahrenheit": "212", "celsius": "-40", **shown(F, "212", "100")}, C, "-40"),
        # ...and unchanged, the same conversion again.
        ({"fahrenheit": "98.6", "celsius": "37", **shown(C, "98.6", "37")}, C, "98.6"),
    ],
)
def test_which_field_converts(fields: dict[str, str], source: Scale, result: str) -> None:
    conversion = read_conversion(fields)
    assert conversion.source is source
    assert conversion.shown(source.other) == result


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "fahrenheit", "Enter a temperature in one of the two fields."),
        ({"fahrenheit": " ", "celsius": "\t"}, "fahrenheit", "one of the two fields"),
        ({"fahrenheit": "1", "celsius": "2"}, "celsius", "Both fields are filled in"),
        ({"fahrenheit": "1", "celsius": "2", **shown(F, "3", "4")}, "celsius", "Both fields"),
        ({"fahrenheit": "1", "celsius": "2", "source": "kelvin"}, "celsius", "Both fields"),
        ({"fahrenheit": "hot", "celsius": ""}, "fahrenheit", "Enter a number"),
        ({"fahrenheit": "", "celsius": "nan"}, "celsius", "finite"),
    ],
)
def test_what_cannot_be_converted_says_so_beside_its_field(
    fields: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(FormInvalid) as refused:
        read_conversion(fields)
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field]
    assert refused.value.values == {
        k: v for k, v in fields.items() if k in ("fahrenheit", "celsius")
    }


# -- the app, in-process -----------------------------------------------------------------------


@pytest.fixture
def app() -> WSGIApp:
    return validator(create_app(write=lambda line: None))


def call(
    app: WSGIApp, method: str, target: str, body: bytes = b"", content_type: str = FORM
) -> tuple[int, dict[str, str], str]:
    path, _, query = target.partition("?")
    headers = [("content-type", content_type)] if body else []
    environ = build_environ(
        method=method, path=path, query_string=query, http_version="1.1",
        server="127.0.0.1:8008", peer=Peer("http", "127.0.0.1"),
        headers=[("host", "127.0.0.1:8008"), *headers], body=body, multiprocess=False,
    )  # fmt: skip
    status, found, data = call_app(app, environ)
    return status, {name.lower(): value for name, value in found}, data.decode()


def test_the_seeds_form_is_the_front_page(app: WSGIApp) -> None:
    status, headers, page = call(app, "GET", "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert '<form action="." method="POST"' in page
    assert 'name="fahrenheit"' in page
    assert 'name="celsius"' in page
    assert '<button type="submit" name="action" value="submit" class="primary">Convert' in page


def test_post_redirects_with_303_to_a_page_that_shows_the_result(app: WSGIApp) -> None:
    form = urlencode({"fahrenheit": "212", "celsius": "", "action": "submit"}).encode()
    status, headers, _ = call(app, "POST", "/", form)
    assert status == 303
    assert headers["location"] == "/?fahrenheit=212"
    status, _, page = call(app, "GET", headers["location"])
    assert status == 200
    assert '<p class="answer" id="answer" role="status">212 °F = 100 °C</p>' in page
    assert 'id="celsius" name="celsius"' in page
    assert 'value="100"' in page
    assert '<input type="hidden" name="source" value="fahrenheit">' in page


def test_a_form_that_cannot_be_converted_is_shown_again_with_the_message(app: WSGIApp) -> None:
    form = urlencode({"fahrenheit": '"><script>x</script>', "celsius": ""}).encode()
    status, _, page = call(app, "POST", "/", form)
    assert status == 422
    assert '<p class="error" id="fahrenheit-error">Enter a number, like 98.6 or -40.</p>' in page
    assert 'aria-invalid="true" aria-describedby="fahrenheit-error"' in page
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in page  # echoed, escaped
    assert "<script>" not in page
    status, _, page = call(app, "POST", "/", b"fahrenheit=&celsius=")
    assert status == 422
    assert "Enter a temperature in one of the two fields." in page


def test_a_result_url_with_nonsense_says_so(app: WSGIApp) -> None:
    status, _, page = call(app, "GET", "/?celsius=warm")
    assert status == 422
    assert 'id="celsius-error"' in page


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"fahrenheit=%FF", FORM, 400),  # not UTF-8: the forms pipe refuses it
        (b"fahrenheit=1" + b"&x=1" * 20, FORM, 413),  # too many fields
        (b"x" * 5000, FORM, 413),
        (b'{"fahrenheit": 1}', "application/json", 415),
    ],
)
def test_bodies_that_are_no_form_never_reach_a_500(
    app: WSGIApp, body: bytes, content_type: str, status: int
) -> None:
    assert call(app, "POST", "/", body, content_type)[0] == status


def test_other_paths_and_methods(app: WSGIApp) -> None:
    assert call(app, "GET", "/elsewhere")[0] == 404
    assert call(app, "DELETE", "/")[0] == 405
    status, _headers, page = call(app, "HEAD", "/")
    assert status == 200
    assert page == ""


def test_without_a_browser_it_says_where_to_go() -> None:
    out = io.StringIO()
    assert not announce("http://127.0.0.1:1/", opener=lambda url: False, out=out)
    assert out.getvalue().splitlines() == [
        "parlor convert: the converter is at http://127.0.0.1:1/",
        "parlor convert: no browser could be opened here; open http://127.0.0.1:1/ in one",
    ]


# -- the real command --------------------------------------------------------------------


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ToolProcess, Path]]:
    """``parlor convert`` with a "browser" ($BROWSER) that writes down the URL it is given."""
    folder = tmp_path_factory.mktemp("convert")
    opened = folder / "opened.txt"
    browser = folder / "browser"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > "{opened}"\n')
    browser.chmod(0o755)
    tool = ToolProcess(
        "convert", env={"BROWSER": str(browser)}, cwd=folder, stopped_line="parlor stopped"
    )
    try:
        tool.wait_ready()
        tool.wait_line("parlor is ready")
        yield tool, opened
        tool.stop()  # Ctrl+C: the supervisor stops the converter
    finally:
        tool.close()


def test_it_listens_and_opens_the_browser_on_itself(desktop: tuple[ToolProcess, Path]) -> None:
    tool, opened = desktop
    url = f"http://127.0.0.1:{tool.port}/"
    tool.wait_line(f"parlor convert: the converter is at {url}")
    assert f"parlor converter listening on {url}" in tool.lines
    tool.wait_for(lambda lines: opened.exists() and opened.read_text() == url, "the browser")
    assert not any("no browser" in line for line in tool.lines)


def test_a_conversion_through_the_real_server(desktop: tuple[ToolProcess, Path]) -> None:
    tool, _ = desktop
    status, headers, _ = request(
        tool.port, "POST", "/", body=b"celsius=37&fahrenheit=", headers={"Content-Type": FORM}
    )
    assert status == 303
    assert headers["location"] == "/?celsius=37"
    status, _, body = request(tool.port, "GET", headers["location"])
    assert status == 200
    assert "37 °C = 98.6 °F" in body.decode()
    status, _, body = request(
        tool.port, "POST", "/", body=b"fahrenheit=&celsius=", headers={"Content-Type": FORM}
    )
    assert status == 422
    assert "Enter a temperature in one of the two fields." in body.decode()


def test_a_double_submit_at_the_same_instant(desktop: tuple[ToolProcess, Path]) -> None:
    tool, _ = desktop
    form = urlencode({"fahrenheit": "212", "celsius": "", "action": "submit"}).encode()
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def submit() -> None:
        barrier.wait()
        answers.append(request(tool.port, "POST", "/", body=form, headers={"Content-Type": FORM}))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [(status, headers["location"]) for status, headers, _ in answers] == [
        (303, "/?fahrenheit=212"),
        (303, "/?fahrenheit=212"),
    ]
    status, _, body = request(tool.port, "GET", "/?fahrenheit=212")
    assert status == 200
    assert "212 °F = 100 °C" in body.decode()


def test_the_command_and_its_door() -> None:
    from typer.testing import CliRunner

    from parlor.cli import app
    from parlor.run import tooldoor
    from parlor.run.frontdoor import FrontDoor

    shown = CliRunner().invoke(app, ["convert", "--help"], terminal_width=100)
    assert shown.exit_code == 0
    assert "--no-browser" in shown.output
    assert isinstance(tooldoor.convert(), FrontDoor)
    setup = tooldoor.convert_app(lambda topic, version: None)
    assert call(setup.app, "GET", "/")[0] == 200


def test_the_command_runs_the_converter_as_a_desktop_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wiring, without serving: the child it supervises, and --no-browser serving here."""
    import webbrowser

    from typer.testing import CliRunner

    from parlor.cli import app
    from parlor.run import tooldoor

    started: list[Any] = []

    class Supervisor:
        def __init__(self, doors: list[Any], *, out: Any) -> None:
            started.extend(doors)
            self.out = out

        def run(self, *, on_ready: Any) -> int:
            on_ready()
            return 0

    monkeypatch.setattr(tooldoor, "Supervisor", Supervisor)
    monkeypatch.setattr(webbrowser, "open", lambda url: False)
    result = CliRunner().invoke(app, ["convert", "--port", "18002"])
    assert result.exit_code == 0, result.output
    (door,) = started
    assert door.argv[-5:] == ["--no-browser", "--host", "127.0.0.1", "--port", "18002"]
    assert (door.host, door.port) == ("127.0.0.1", 18002)

    served: list[dict[str, Any]] = []
    monkeypatch.setattr("os.environ", {})
    monkeypatch.setattr(tooldoor, "run_front_door", lambda target, **how: served.append(how))
    result = CliRunner().invoke(app, ["convert", "--no-browser"])
    assert result.exit_code == 0, result.output
    assert served[0]["label"] == "converter"
    assert served[0]["port"] > 0
