"""parlor: a client-server game house — roulette and chess over REST, HTML and a line protocol."""

__version__ = "0.1.0"
