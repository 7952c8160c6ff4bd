"""``parlor play`` end to end: the command against a real ``parlor serve``, as a user runs it.

In-process through Typer's CliRunner (the registered ``parlor`` app), and once
as a real process for Ctrl+C. Every failure must be a message and an exit
status, never a traceback.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from parlor.cli import app
from parlor.client import RouletteClient, SpinOutcome
from parlor.house.ledger import LedgerReport
from tests.bot.flaky_proxy import BEFORE, LOSE, UNAVAILABLE, Fault, FlakyProxy
from tests.e2e.e2e_support import ParlorProcess, free_port

Audit = Callable[[], LedgerReport]
runner = CliRunner()
SPIN_LINE = re.compile(r"^spin +(\d+)  ")
SESSION = re.compile(r"--session (\S+)")


def play(*args: str) -> Result:
    return runner.invoke(app, ["play", *args], terminal_width=200)


def session_of(result: Result) -> str:
    found = SESSION.search(result.stdout)
    assert found, result.output
    return found.group(1)


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_help_lists_every_option_and_its_default() -> None:
    result = play("--help")
    assert result.exit_code == 0
    text = re.sub(r"\s+", " ", result.stdout)
    for option in (
        "--server", "--budget", "--base", "--max", "--max-spins", "--wheel", "--proposition",
        "--at-limit", "--when-short", "--when-empty", "--fibonacci-win", "--seed", "--retries",
        "--timeout", "--quiet",
    ):  # fmt: skip
        assert option in text, option
    for default in ("[default: 1000]", "[default: 250]", "[default: cap]", "[default: leave]"):
        assert default in text, default
    assert "Exit status: 0" in text
    assert "martingale" in text


def test_martingale_plays_a_number_of_bets_and_sums_up(
    parlor: ParlorProcess, client: RouletteClient, audit: Audit
) -> None:
    result = play("martingale", "--server", parlor.base_url, "--max-spins", "6")
    assert result.exit_code == 0, result.output
    assert_no_traceback(result)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("martingale on red, base 10: session ")
    assert [int(m.group(1)) for line in lines if (m := SPIN_LINE.match(line))] == [1, 2, 3, 4, 5, 6]
    assert "martingale stopped after 6 spins: played the 6 spins allowed" in result.stdout
    session_id = session_of(result)
    state = client.session(session_id)
    bets = client.bets(session_id)
    assert state.ended
    assert f"net      {state.balance - state.bankroll:+,} chips" in result.stdout
    assert f"wagered {sum(b.amount for b in bets):,} chips" in result.stdout
    assert f"largest bet {max(b.amount for b in bets):,}" in result.stdout
    # The verify line the summary prints works.
    verified = runner.invoke(app, ["verify", "--server", parlor.base_url, "--session", session_id])
    assert verified.exit_code == 0, verified.output
    assert "fair" in verified.stdout
    audit()


def test_quiet_prints_only_the_summary(parlor: ParlorProcess) -> None:
    result = play("flat", "--server", parlor.base_url, "--max-spins", "3", "--quiet")
    assert result.exit_code == 0, result.output
    assert not any(SPIN_LINE.match(line) for line in result.stdout.splitlines())
    assert "stopped after 3 spins" in result.stdout


def test_seven_reds_watches_before_it_bets(parlor: ParlorProcess) -> None:
    result = play("sevenreds", "--server", parlor.base_url, "--max-spins", "3")
    assert result.exit_code == 0, result.output
    assert "sevenreds on black" in result.stdout
    spins = [line for line in result.stdout.splitlines() if SPIN_LINE.match(line)]
    assert len(spins) == 3
    assert all(re.match(r"spin +\d+  watch +(0|00|\d+) (red|black|green) +balance 1,000$", line)
               for line in spins), spins  # fmt: skip


def test_random_names_its_seed_and_places_layout_bets(parlor: ParlorProcess) -> None:
    args = ("random", "--server", parlor.base_url, "--max-spins", "4", "--seed", "7", "--base", "1")
    first, second = play(*args), play(*args)
    assert first.exit_code == 0, first.output
    assert "random propositions (seed 7), base 1" in first.stdout

    def bets(result: Result) -> list[str]:
        return [line[11:34] for line in result.stdout.splitlines() if SPIN_LINE.match(line)]

    assert bets(first) == bets(second)  # the same seed picks the same bets


def test_the_strategy_stopping_is_a_normal_end(parlor: ParlorProcess) -> None:
    # A bankroll of 25 cannot cover martingale's third bet (40) however the spins go.
    result = play("martingale", "--server", parlor.base_url, "--budget", "25", "--max-spins", "0")
    assert result.exit_code == 0, result.output
    assert "is more than the" in result.stdout
    assert "(--when-short leave)" in result.stdout


def test_an_unreachable_server_is_a_clear_message(parlor: ParlorProcess) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = play("martingale", "--server", url, "--retries", "1")
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert "cannot reach the roulette service" in result.stderr
    assert "Start one with `parlor serve`" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "flag", "says"),
    [
        (["--budget", "2000000"], "--budget", "bankroll must be a whole number from 1 to 1000000"),
        (["--base", "200000"], "--base", "table_min must be a whole number from 1 to 100000"),
        (["--max", "200000"], "--max", "table_max must be a whole number from 1 to 100000"),
    ],
)
def test_the_house_refusing_the_table_is_a_clear_message(
    parlor: ParlorProcess, args: list[str], flag: str, says: str
) -> None:
    result = play("flat", "--server", parlor.base_url, *args)
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert f"the house refused {flag}: {says}" in result.stderr


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["flat", "--base", "50", "--max", "20"], "'--base'"),
        (["random", "--proposition", "red"], "'--proposition'"),
        (["flat", "--server", "localhost:36000"], "'--server'"),
        (["nonesuch"], "STRATEGY"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], flag: str) -> None:
    if "--server" not in args:
        args = [*args, "--server", "http://127.0.0.1:9"]
    result = play(*args)
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert flag in result.stderr


def test_a_bet_refused_mid_play_ends_the_session_and_exits_2(
    parlor: ParlorProcess, audit: Audit
) -> None:
    def end_the_session(path: str) -> None:
        session_id = path.split("/")[4]
        with RouletteClient(parlor.base_url) as other:
            other.end_session(session_id)

    faults = [Fault("POST", "/bets", BEFORE, after=2, hook=end_the_session)]
    with FlakyProxy("127.0.0.1", parlor.port, faults) as proxy:
        result = play("flat", "--server", proxy.base_url, "--max-spins", "10")
    assert result.exit_code == 2, result.output
    assert_no_traceback(result)
    assert "parlor play: the house refused:" in result.stderr
    assert "ended" in result.stderr
    assert "flat stopped after 2 spins" in result.stdout
    assert "ended: its server seed is revealed" in result.stdout
    audit()


def test_a_briefly_unavailable_server_costs_no_double_bet(
    parlor: ParlorProcess, client: RouletteClient, audit: Audit
) -> None:
    faults = [
        Fault("POST", "/bets", UNAVAILABLE, times=2),
        Fault("POST", "/bets", LOSE, after=4),
        Fault("POST", "/spins", LOSE, after=2),
    ]
    with FlakyProxy("127.0.0.1", parlor.port, faults) as proxy:
        result = play("martingale", "--server", proxy.base_url, "--max-spins", "5")
        posts = proxy.seen("POST", "/bets")
    assert result.exit_code == 0, result.output
    assert "stopped after 5 spins" in result.stdout
    session_id = session_of(result)
    state = client.session(session_id)
    assert state.spin_count == state.bet_count == 5
    assert len(posts) == 5 + 2 + 1
    assert len({seen.idempotency_key for seen in posts}) == 5
    audit()  # each bet debited exactly once


def test_a_service_lost_mid_play_exits_2_and_says_so(parlor: ParlorProcess) -> None:
    faults = [Fault("POST", "/bets", UNAVAILABLE, after=1, times=1000)]
    with FlakyProxy("127.0.0.1", parlor.port, faults) as proxy:
        result = play("flat", "--server", proxy.base_url, "--retries", "1")
    assert result.exit_code == 2, result.output
    assert_no_traceback(result)
    assert "503 Service Unavailable" in result.stderr
    assert "flat stopped after 1 spin:" in result.stdout


def test_a_lost_answer_to_opening_the_session_is_explained(parlor: ParlorProcess) -> None:
    with FlakyProxy("127.0.0.1", parlor.port, [Fault("POST", "/sessions", LOSE)]) as proxy:
        result = play("flat", "--server", proxy.base_url)
    assert result.exit_code == 2
    assert_no_traceback(result)
    assert "A session may have been opened, but nothing was bet: try again." in result.stderr


def test_ctrl_c_ends_the_session_and_sums_up(
    parlor: ParlorProcess, client: RouletteClient, audit: Audit
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLOR_")}
    # A budget no run of losses can use up before the Ctrl+C arrives, however slowly the
    # machine gets round to sending it: the strategy must not stop by itself first.
    argv = [sys.executable, "-m", "parlor", "play", "flat", "--server", parlor.base_url,
            "--max-spins", "0", "--budget", "1000000"]  # fmt: skip
    # A terminal's Ctrl+C: the default SIGINT disposition, even when this suite runs where
    # SIGINT is ignored (a shell's background job), which a child would otherwise inherit.
    with subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    ) as process:
        try:
            assert process.stdout is not None
            seen = [process.stdout.readline() for _ in range(4)]  # the header and three spins
            assert all(SPIN_LINE.match(line) for line in seen[1:]), seen
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 130, (out, err)
    assert "Traceback" not in err
    assert "stopped after" in out
    assert "interrupted (Ctrl+C)" in out
    found = SESSION.search(out)
    assert found, out
    state = client.session(found.group(1))
    assert state.ended
    spun = len([line for line in seen + out.splitlines() if SPIN_LINE.match(line)])
    assert f"stopped after {state.spin_count:,} spin" in out
    assert spun in (state.spin_count, state.spin_count - 1)  # the last may be unprinted
    audit()


def test_a_session_left_open_is_said_and_exits_2(parlor: ParlorProcess) -> None:
    faults = [Fault("POST", "/end", UNAVAILABLE, times=1000)]
    with FlakyProxy("127.0.0.1", parlor.port, faults) as proxy:
        result = play("flat", "--server", proxy.base_url, "--max-spins", "1", "--retries", "0")
    assert result.exit_code == 2, result.output
    assert_no_traceback(result)
    assert "parlor play: the session could not be ended" in result.stderr
    assert "is still open: the house could not be told to end it" in result.stdout


def test_ctrl_c_in_process_records_the_spin_in_flight(
    parlor: ParlorProcess, client: RouletteClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    spin = RouletteClient.spin

    def spin_then_ctrl_c(
        self: RouletteClient, session_id: str, *, number: int | None = None
    ) -> SpinOutcome:
        spin(self, session_id, number=number)
        raise KeyboardInterrupt

    monkeypatch.setattr(RouletteClient, "spin", spin_then_ctrl_c)
    result = play("flat", "--server", parlor.base_url)
    assert result.exit_code == 130, result.output
    assert "flat stopped after 1 spin: interrupted (Ctrl+C)" in result.stdout
    assert client.session(session_of(result)).ended


def test_ctrl_c_before_the_session_opens(
    parlor: ParlorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(RouletteClient, "open_session", ctrl_c)
    result = play("flat", "--server", parlor.base_url)
    assert result.exit_code == 130
    assert "parlor play: interrupted" in result.stderr
