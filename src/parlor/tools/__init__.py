"""The chapter's small network programs: fetch, ftp, the request and environ dumps, convert.

Each is a pure or nearly pure core here and a thin Typer command in ``parlor.cli``.
"""
