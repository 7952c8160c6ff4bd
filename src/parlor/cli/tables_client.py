"""``parlor tables connect``: the interactive client, and the scripted one.

Interactive: prompt-toolkit keeps the line being typed at the bottom while a
reader thread prints whatever the server writes above it, events included,
each colored by its first digit (2 green, 3 cyan, 4 yellow, 5 red, events
blue). Scripted (``--script FILE``): each line of the file is sent in turn and
its reply printed; the first 4yz or 5yz reply ends the run with status 1.
"""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from parlor.tcp.client import TablesClient
from parlor.tcp.protocol import Event, Reply, ServerReader

_COLORS = {"1": "white", "2": "green", "3": "cyan", "4": "yellow", "5": "red", "6": "blue"}


def _context(tls: bool) -> ssl.SSLContext | None:
    return ssl.create_default_context() if tls else None


def painted(message: Reply | Event) -> str:
    """The lines of ``message`` as Rich markup, in its first digit's color."""
    color = _COLORS.get(str(message.code)[0], "white")
    lines = message.lines if isinstance(message, Reply) else (message.text,)
    return "\n".join(f"[{color}]{message.code}[/] {escape(line)}" for line in lines)


def scripted(host: str, port: int, script: Path, *, tls: bool = False) -> int:
    console = Console(highlight=False)
    with TablesClient(host, port, tls=_context(tls)) as client:
        console.print(painted(client.greeting))
        for line in script.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            console.print(f"[dim]> {escape(line)}[/]")
            reply = client.send(line)
            while client.events:
                console.print(painted(client.events.popleft()))
            console.print(painted(reply))
            if reply.code >= 400:
                return 1
            if reply.code == 221:
                break
    return 0


def interactive(host: str, port: int, *, tls: bool = False) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.patch_stdout import patch_stdout

    console = Console(highlight=False)
    client = TablesClient(host, port, tls=_context(tls))
    raw: socket.socket = client._sock  # the reader thread reads, the prompt writes
    console.print(painted(client.greeting))
    finished = threading.Event()

    def read() -> None:
        reader = ServerReader()
        try:
            while True:
                data = raw.recv(65536)
                if not data:
                    break
                for item in reader.feed(data):
                    console.print(painted(item))
        except OSError:
            pass
        finally:
            finished.set()
            console.print("[dim]the server closed the connection: Enter to leave[/]")

    raw.settimeout(None)
    threading.Thread(target=read, daemon=True, name="tables-reader").start()
    session: PromptSession[str] = PromptSession("parlor> ")
    with patch_stdout(raw=True):
        while not finished.is_set():
            try:
                line = session.prompt()
            except (EOFError, KeyboardInterrupt):
                line = "QUIT"
            if finished.is_set():
                break
            if line.strip():
                try:
                    raw.sendall(line.encode() + b"\r\n")
                except OSError:
                    break
            if line.strip().upper() == "QUIT":
                finished.wait(5)
                break
    client.close()
    return 0
