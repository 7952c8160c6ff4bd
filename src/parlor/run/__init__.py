"""Running the front doors: the event-loop front door before the WSGI apps.

``frontdoor`` is the RSGI app Granian runs in each worker; it reads every
request body whole under a size limit and a deadline, hands complete
requests to ``threads`` (the bounded pool the WSGI apps run on) and parks
long polls in ``changes`` without a thread. ``environ`` and ``proxy`` are its
pure parts; ``targets`` are the factories Granian imports.
"""
