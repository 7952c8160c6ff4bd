"""Chess for two players: pure rules over python-chess (``game``), refusals (``errors``)."""
