"""A response body that runs something once the server has closed it (PEP 3333's close())."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


class OnClose:
    """Wraps a response body: closes it, then calls ``on_close``, whatever closing raised.

    The pipes that act after a response is done (the access log writes its line,
    the forms pipe deletes the request's files) wrap an app's body in this.
    """

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], object]) -> None:
        self._body = body
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()
