"""PEP 3333 type names, shared by every pipe."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeAlias

WSGIEnvironment: TypeAlias = dict[str, Any]
StartResponse: TypeAlias = Callable[..., Callable[[bytes], object]]
WSGIApp: TypeAlias = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]
