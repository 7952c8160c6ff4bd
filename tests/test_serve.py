"""The supervisor behind `parlor serve`, with small stand-in children."""

from __future__ import annotations

import io
import os
import signal
import socket
import sys
import threading

import pytest

from parlor.run.serve import (
    DoorProcess,
    PortInUse,
    ensure_port_free,
    front_doors,
    settings_environment,
    web_environment,
)
from parlor.run.supervisor import Supervisor
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
    doors = [DoorProcess(f"door {p}", listener(p), "127.0.0.1", p) for p in ports]
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
        DoorProcess("good door", listener(good), "127.0.0.1", good),
        DoorProcess("bad door", [sys.executable, "-c", "raise SystemExit(3)"], "127.0.0.1", 1),
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
    supervisor = Supervisor([DoorProcess("slow door", never, "127.0.0.1", free_port())], out=out)
    assert supervisor.run(ready_timeout=0.5) == 1
    assert "did not start within 0.5 s" in out.getvalue()


def test_front_doors_carry_the_settings() -> None:
    settings = Settings(
        port=4000,
        web_port=4001,
        tcp_port=4002,
        betting_window=2.5,
        host="0.0.0.0",
        database_url="sqlite:///x.db",
        workers=3,
    )
    service, web, tables = front_doors(settings)
    assert service.port == 4000
    assert service.argv[1:4] == ["-m", "parlor", "service"]
    assert "--workers" in service.argv
    assert service.argv[service.argv.index("--database") + 1] == "sqlite:///x.db"
    assert settings_environment(settings)["PARLOR_DATABASE_URL"] == "sqlite:///x.db"
    # The web app listens beside it and reaches the service over loopback HTTP.
    assert (web.label, web.port, web.flag) == ("web app", 4001, "--web-port")
    assert web.argv[1:4] == ["-m", "parlor", "web"]
    assert web.argv[web.argv.index("--web-port") + 1] == "4001"
    assert web.argv[web.argv.index("--service-url") + 1] == "http://127.0.0.1:4000"
    # The web app keeps its visits in the database (nothing of the game: that is the service's).
    assert web.argv[web.argv.index("--database") + 1] == "sqlite:///x.db"
    # The TCP tables play with the same house, on their own port.
    assert (tables.label, tables.port, tables.flag) == ("tables", 4002, "--tcp-port")
    assert tables.argv[1:5] == ["-m", "parlor", "tables", "serve"]
    assert tables.argv[tables.argv.index("--database") + 1] == "sqlite:///x.db"
    assert tables.argv[tables.argv.index("--betting-window") + 1] == "2.5"


def test_the_web_app_workers_read_one_database_and_the_service_url() -> None:
    kept = web_environment(Settings(service_url="http://svc:1/", database_url="sqlite:///x.db"))
    assert kept["PARLOR_SERVICE_URL"] == "http://svc:1"
    assert kept["PARLOR_DATABASE_URL"] == "sqlite:///x.db"
    assert Settings.from_env(kept).web_idle_timeout == 1200.0


def test_the_service_workers_get_one_nonce_secret_per_run() -> None:
    made = settings_environment(Settings())
    assert len(made["PARLOR_AUTH_SECRET"]) >= 40
    assert made["PARLOR_AUTH_SECRET"] != settings_environment(Settings())["PARLOR_AUTH_SECRET"]
    kept = settings_environment(Settings(auth_secret="configured"))
    assert kept["PARLOR_AUTH_SECRET"] == "configured"


def test_on_ready_runs_once_everything_listens() -> None:
    port = free_port()
    out = io.StringIO()
    called: list[str] = []

    def ready() -> None:
        called.append(out.getvalue())
        os.kill(os.getpid(), signal.SIGTERM)

    supervisor = Supervisor([DoorProcess("door", listener(port), "127.0.0.1", port)], out=out)
    assert supervisor.run(ready_timeout=30, on_ready=ready) == 0
    assert len(called) == 1
    assert "parlor is ready" in called[0]


def test_a_taken_web_port_names_its_own_flag() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        out = io.StringIO()
        door = DoorProcess("web app", listener(port), "127.0.0.1", port, "--web-port")
        assert Supervisor([door], out=out).run() == 1
        assert "choose another port with --web-port" in out.getvalue()


def test_a_taken_port_is_refused_before_anything_starts() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        out = io.StringIO()
        supervisor = Supervisor([DoorProcess("door", listener(port), "127.0.0.1", port)], out=out)
        assert supervisor.run() == 1
        assert f"cannot listen on 127.0.0.1:{port}" in out.getvalue()
        assert "--port" in out.getvalue()
        assert supervisor._children == []
        with pytest.raises(PortInUse):
            ensure_port_free("127.0.0.1", port)
    ensure_port_free("127.0.0.1", port)  # free again once closed
