"""``parlor accounts``: the operator's commands, on a real database, with the ledger checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parlor.cli import app
from parlor.house.ledger import check_ledger
from parlor.store.db import open_database

runner = CliRunner()
ACCESS = re.compile(r"^[A-Z]+ /\S* \d{3} [\d.]+ms$")
PASSWORD = "correct horse battery\n"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'accounts.db'}"


def run(url: str, *args: str, stdin: str = "") -> tuple[int, str]:
    """Exit code and the command's own last line (other tests' servers may log on stderr)."""
    result = runner.invoke(app, ["accounts", *args, "--database", url], input=stdin)
    mine = [line for line in result.output.splitlines() if not ACCESS.match(line)]
    return result.exit_code, "\n".join(mine) + "\n"


def test_the_operator_opens_grants_lists_and_resets(url: str) -> None:
    assert run(url, "create", "Alice", "--password-stdin", stdin=PASSWORD) == (
        0, "created Alice with 1,000 chips\n"
    )  # fmt: skip
    assert run(url, "create", "bob", "--chips", "50", "--password-stdin", stdin=PASSWORD)[0] == 0
    assert run(url, "grant", "ALICE", "250") == (0, "Alice now holds 1,250 chips\n")
    assert run(url, "grant", "alice", "-1250") == (0, "Alice now holds 0 chips\n")
    code, listing = run(url, "list")
    assert code == 0
    assert "Alice" in listing
    assert "50" in listing
    assert run(url, "reset-password", "bob", "--password-stdin", stdin="a brand new one\n")[0] == 0
    db = open_database(url)
    report = check_ledger(db)
    db.close()
    assert report.ok, report.problems
    assert report.accounts == 2


def test_a_password_typed_at_the_terminal_is_asked_twice(url: str) -> None:
    code, output = run(url, "create", "carol", stdin="correct horse battery\n" * 2)
    assert code == 0, output
    assert "created carol" in output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("create", "a", "--password-stdin"), PASSWORD, "username must be 2 to 32"),
        (("create", "dave", "--password-stdin"), "short\n", "at least 10 characters"),
        (("grant", "nobody", "5"), "", "no account is named 'nobody'"),
        (("grant", "erin", "-5000"), "", "at most 1,000 can be taken back, not 5,000"),
        (("reset-password", "nobody", "--password-stdin"), PASSWORD, "no account"),
    ],
)
def test_refusals_say_why_and_exit_1(
    url: str, args: tuple[str, ...], stdin: str, message: str
) -> None:
    run(url, "create", "erin", "--password-stdin", stdin=PASSWORD)
    code, output = run(url, *args, stdin=stdin)
    assert code == 1
    assert message in output


def test_a_taken_name_is_refused_whatever_its_case(url: str) -> None:
    run(url, "create", "frank", "--password-stdin", stdin=PASSWORD)
    code, output = run(url, "create", "FRANK", "--password-stdin", stdin=PASSWORD)
    assert code == 1
    assert "taken" in output


def test_no_password_at_all_says_how_to_give_one(url: str) -> None:
    code, output = run(url, "create", "nopass", stdin="")
    assert code == 2
    assert "--password-stdin" in output
