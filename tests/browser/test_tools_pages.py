"""The tools' pages in Chromium: dump and environ escape a hostile request, convert does PRG.

Against the real commands (``parlor dump``, ``parlor environ``, ``parlor convert
--no-browser``), started side by side for the module. Each page must also come out styled:
its inline stylesheet is allowed by hash alone, so a wrong hash would show as an unstyled
page and a CSP report on the console.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.tools.server_support import ToolProcess

pytestmark = pytest.mark.slow

HOSTILE_PATH = "<script>window.__pwned=1</script>"
HOSTILE_HEADER = '<img src=x onerror="window.__pwned=2"><script>window.__pwned=3</script>'
#: The stylesheet's --paper colour, as getComputedStyle reports it.
PAPER = "rgb(246, 243, 236)"


@pytest.fixture(scope="module")
def tools(chromium: Any) -> Iterator[dict[str, ToolProcess]]:
    started = {
        "dump": ToolProcess("dump", stopped_line="parlor dump stopped"),
        "environ": ToolProcess("environ", stopped_line="parlor environ stopped"),
        "convert": ToolProcess("convert", "--no-browser", stopped_line="parlor converter stopped"),
    }
    try:
        for tool in started.values():
            tool.wait_ready()
        yield started
        for tool in started.values():
            tool.stop()
    finally:
        for tool in started.values():
            tool.close()


def url(tool: ToolProcess, path: str = "/") -> str:
    return f"http://127.0.0.1:{tool.port}{path}"


@pytest.fixture
def console(page: Any) -> list[str]:
    """What the page says on its console (a blocked style or script would say so)."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    return messages


def assert_safe_and_styled(page: Any, console: list[str]) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script").count() == 0
    assert page.locator("img").count() == 0
    assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == PAPER
    assert not [m for m in console if "Content Security Policy" in m], console


def test_the_dump_shows_a_hostile_request_as_text(
    page: Any, tools: dict[str, ToolProcess], console: list[str], screenshots: Path
) -> None:
    page.set_extra_http_headers({"X-Evil": HOSTILE_HEADER})
    page.goto(url(tools["dump"], f"/{HOSTILE_PATH}?q={HOSTILE_HEADER}"))
    assert page.locator("#path").inner_text() == f"/{HOSTILE_PATH}"
    evil = page.locator("#headers tr", has_text="X-Evil")
    assert evil.locator("td").inner_text() == HOSTILE_HEADER
    assert page.locator("#args td").inner_text() == HOSTILE_HEADER  # the query, decoded
    assert_safe_and_styled(page, console)
    page.screenshot(path=str(screenshots / "tools-dump.png"), full_page=True)
    # The page's own link to its JSON keeps the path and the query.
    page.get_by_role("link", name="format=json").click()
    document = json.loads(page.locator("pre").first.inner_text())  # JSON, shown as text
    assert document["headers"]["X-Evil"] == HOSTILE_HEADER
    assert document["path"] == f"/{HOSTILE_PATH}"
    assert page.evaluate("window.__pwned") is None


def test_the_environ_shows_a_hostile_request_as_text_and_marks_the_pipes(
    page: Any, tools: dict[str, ToolProcess], console: list[str], screenshots: Path
) -> None:
    page.set_extra_http_headers({"X-Evil": HOSTILE_HEADER})
    page.goto(url(tools["environ"], f"/{HOSTILE_PATH}"))
    row = page.locator('tr[data-key="HTTP_X_EVIL"]')
    assert HOSTILE_HEADER in row.inner_text()
    assert "front door" in row.inner_text()
    assert HOSTILE_PATH in page.locator('tr[data-key="PATH_INFO"]').inner_text()
    assert "sessions" in page.locator('tr[data-key="parlor.session"]').inner_text()
    assert_safe_and_styled(page, console)
    page.screenshot(path=str(screenshots / "tools-environ.png"), full_page=True)
    # Posting its form shows what the forms pipe adds; the session counts the visit.
    page.get_by_role("button", name="Post it here").click()
    page.wait_for_load_state()
    assert "FormData({'note': 'hello'})" in page.locator('tr[data-key="parlor.form"]').inner_text()
    assert "replaced by forms" in page.locator('tr[data-key="wsgi.input"]').inner_text()
    assert page.locator("#visits").inner_text() == "2"
    assert_safe_and_styled(page, console)


def test_convert_a_conversion_and_a_reload_that_posts_nothing(
    page: Any, tools: dict[str, ToolProcess], console: list[str], screenshots: Path
) -> None:
    converter = tools["convert"]
    methods: list[str] = []
    page.on("request", lambda sent: methods.append(sent.method))
    page.goto(url(converter))
    page.get_by_label("Fahrenheit").fill("212")
    page.get_by_role("button", name="Convert").click()
    page.wait_for_url("**/?fahrenheit=212")
    assert page.locator("#answer").inner_text() == "212 °F = 100 °C"
    assert page.get_by_label("Celsius").input_value() == "100"
    assert methods == ["GET", "POST", "GET"]  # the form, the post, the 303's GET
    assert_safe_and_styled(page, console)
    page.screenshot(path=str(screenshots / "tools-convert-result.png"), full_page=True)

    page.reload()  # PRG: the reload asks for the result page again, and posts nothing
    assert methods == ["GET", "POST", "GET", "GET"]
    assert page.locator("#answer").inner_text() == "212 °F = 100 °C"
    posts = [line for line in converter.lines if line.startswith("POST / ")]
    assert len(posts) == 1, converter.lines

    # Both fields are filled now: the one changed is converted.
    page.get_by_label("Celsius").fill("37")
    page.get_by_role("button", name="Convert").click()
    page.wait_for_url("**/?celsius=37")
    assert page.locator("#answer").inner_text() == "37 °C = 98.6 °F"
    assert page.get_by_label("Fahrenheit").input_value() == "98.6"


def test_convert_puts_the_error_beside_the_field(
    page: Any, tools: dict[str, ToolProcess], console: list[str], screenshots: Path
) -> None:
    page.goto(url(tools["convert"]))
    page.get_by_label("Fahrenheit").fill("hot")
    page.get_by_role("button", name="Convert").click()
    page.wait_for_load_state()
    error = page.locator("#fahrenheit-error")
    assert error.inner_text() == "Enter a number, like 98.6 or -40."
    field = page.get_by_label("Fahrenheit")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "fahrenheit-error"
    assert field.input_value() == "hot"  # what was typed, kept
    assert page.locator("#answer").count() == 0
    assert_safe_and_styled(page, console)
    page.screenshot(path=str(screenshots / "tools-convert-error.png"), full_page=True)
    page.get_by_label("Fahrenheit").fill("")
    page.get_by_role("button", name="Convert").click()
    page.wait_for_load_state()
    assert "one of the two fields" in page.locator("#fahrenheit-error").inner_text()
