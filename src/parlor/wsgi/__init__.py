"""Composable PEP 3333 pieces: each pipe takes a WSGI app and is one."""
