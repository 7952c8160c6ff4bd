"""Fixtures of the end-to-end suite: a real ``parlor serve`` on a free loopback port.

``running_parlor(database_url, workers=1)`` starts one and waits for "parlor is
ready"; at teardown every server still running is stopped with SIGTERM and must
exit 0 within 15 s, having printed "parlor stopped" and left no process behind.
``server`` is one such server on each engine, so every test that takes it runs
against SQLite and against PostgreSQL. ``shared_server`` is one SQLite server
for a whole module, for the tests that need a server but not a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.e2e_support import ParlorProcess

StartParlor = Callable[..., ParlorProcess]


@contextmanager
def _parlors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartParlor]:
    """Start servers with the factory; at the end, each must stop cleanly and leave no trace."""
    started: list[ParlorProcess] = []
    # The working directory of the server: proof it never needs ./var.
    cwd: Path = tmp_path_factory.mktemp("parlor-cwd")

    def start(
        database_url: str,
        *,
        workers: int = 1,
        port: int | None = None,
        wait: bool = True,
        command: str = "serve",
        env: dict[str, str] | None = None,
    ) -> ParlorProcess:
        process = ParlorProcess(
            database_url, cwd=cwd, port=port, workers=workers, command=command, env=env
        )
        started.append(process)
        if wait:
            process.wait_ready()
        return process

    yield start

    failures: list[str] = []
    for process in started:
        try:
            if not process.stop_checked:
                process.stop()
        except AssertionError as error:
            failures.append(str(error))
        finally:
            process.close()
    assert not list(cwd.iterdir()), (
        f"parlor wrote into its working directory: {list(cwd.iterdir())}"
    )
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def running_parlor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartParlor]:
    """A factory: ``running_parlor(url, workers=1, port=None, wait=True, command="serve",
    env=None)``."""
    with _parlors(tmp_path_factory) as start:
        yield start


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParlorProcess]:
    """One ``parlor serve`` on SQLite for the whole module: for tests that change no shared state
    another test reads."""
    url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'parlor.db'}"
    with _parlors(tmp_path_factory) as start:
        yield start(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, running_parlor: StartParlor) -> ParlorProcess:
    """``parlor serve --database URL`` on a fresh SQLite file, then on a fresh PostgreSQL schema.

    Its ``database_url`` is where it keeps its data, for a test to audit afterwards.
    """
    url: str = request.getfixturevalue(f"{request.param}_url")
    return running_parlor(url)
