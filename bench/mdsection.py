"""Rewriting one benchmark's ``## `` section of BENCHMARKS.md, keeping every other one."""

from __future__ import annotations

import re
from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def replace_section(title: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Put ``body`` (which starts with ``## {title}``) in place of that section, or append it."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: body + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + body
    path.write_text(text)
