"""Roulette in the browser: the web application for people (``parlor web``, port 8008).

A Falcon WSGI app that renders Jinja2 pages and talks to the REST service only
through the client SDK, as the seed's "Roulette web application" has it. One
module per concern:

=============  ==============================================================
``app``        the pipeline and the routes; ``app_from_env`` for a server
``pages``      the resources: start, table, bet, withdraw, spin, rules, fairness
``accounts``   register, log in and out, the account page, a new password
``table``      what the table page reads from the service
``forms``      pure checks of the start and bet forms, with per-field messages
``layout``     the clickable betting layout, built from the rules
``chart``      balance over time as inline SVG
``visits``     the visit (a server-side session) as the pages read and change it
``csrf``       refusing cross-site and token-less POSTs
``formbody``   the form fields the forms pipe parsed
``render``     Jinja2 (autoescape on) and the static files
``errors``     every error as an HTML page, never a traceback
=============  ==============================================================
"""

from parlor.web.app import app_from_env, create_app, create_falcon_app

__all__ = ["app_from_env", "create_app", "create_falcon_app"]
