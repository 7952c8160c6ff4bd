"""The supervisor behind `parlor serve`, with small stand-in children."""

from __future__ import annotations

import io
import os
import signal
import socket
import sys
import threading

import pytest

from parlor.serve import (
    FrontDoor,
    PortInUse,
    Supervisor,
    ensure_port_free,
    front_doors,
    settings_environment,
)
from parlor.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listener(port: int) -> list[str]:
    """A child that listens on ``port`` until SIGTERM, like a front door."""
    code = (
        "import signal, socket, sys\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
        f"s = socket.create_server(('127.0.0.1', {port}))\n"
        "while True: s.accept()[0].close()\n"
    )
    return [sys.executable, "-c", code]


def test_ready_then_a_signal_stops_everything_cleanly() -> None:
    ports = [free_port(), free_port()]
    doors = [FrontDoor(f"door {p}", listener(p), "127.0.0.1", p) for p in ports]
    out = io.StringIO()
    supervisor = Supervisor(doors, out=out)

    def stop_when_ready() -> None:
        while "ready" not in out.getvalue():
            threading.Event().wait(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=stop_when_ready, daemon=True).start()
    assert supervisor.run(ready_timeout=30) == 0
    assert "parlor is ready" in out.getvalue()
    assert "parlor stopped" in out.getvalue()
    assert all(child.poll() is not None for child in supervisor._children)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_a_door_that_dies_takes_the_rest_down_and_says_why() -> None:
    good = free_port()
    doors = [
        FrontDoor("good door", listener(good), "127.0.0.1", good),
        FrontDoor("bad door", [sys.executable, "-c", "raise SystemExit(3)"], "127.0.0.1", 1),
    ]
    out = io.StringIO()
    supervisor = Supervisor(doors, out=out)
    assert supervisor.run(ready_timeout=30) == 1
    assert "the bad door stopped (exit 3)" in out.getvalue()
    assert "--port" in out.getvalue()
    assert all(child.poll() is not None for child in supervisor._children)


def test_a_door_that_never_listens_times_out() -> None:
    never = [sys.executable, "-c", "import time; time.sleep(60)"]
    out = io.StringIO()
    supervisor = Supervisor([FrontDoor("slow door", never, "127.0.0.1", free_port())], out=out)
    assert supervisor.run(ready_timeout=0.5) == 1
    assert "did not start within 0.5 s" in out.getvalue()


def test_front_doors_carry_the_settings() -> None:
    settings = Settings(port=4000, host="0.0.0.0", database_url="sqlite:///x.db", workers=3)
    (service,) = front_doors(settings)
    assert service.port == 4000
    assert service.argv[1:4] == ["-m", "parlor", "service"]
    assert "--workers" in service.argv
    assert service.argv[service.argv.index("--database") + 1] == "sqlite:///x.db"
    assert settings_environment(settings)["PARLOR_DATABASE_URL"] == "sqlite:///x.db"


def test_a_taken_port_is_refused_before_anything_starts() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        out = io.StringIO()
        supervisor = Supervisor([FrontDoor("door", listener(port), "127.0.0.1", port)], out=out)
        assert supervisor.run() == 1
        assert f"cannot listen on 127.0.0.1:{port}" in out.getvalue()
        assert "--port" in out.getvalue()
        assert supervisor._children == []
        with pytest.raises(PortInUse):
            ensure_port_free("127.0.0.1", port)
    ensure_port_free("127.0.0.1", port)  # free again once closed
