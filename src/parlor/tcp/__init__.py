"""Roulette tables over TCP: the line protocol (protocol.py) and, next, its server."""
