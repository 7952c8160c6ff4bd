"""``python -m parlor`` is the ``parlor`` command."""

from parlor.cli import main

main()
