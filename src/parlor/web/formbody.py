"""A POST's form fields, as the forms pipe parsed them (``parlor.wsgi.forms``).

The pipe reads the body once, under its limits (413 for too many or too
large fields, 400 for a malformed or non-UTF-8 body), and leaves the fields
in the environ; the CSRF guard and the resource both read them from there.
A body of another media type reaches no form: it is refused with 415.
"""

from __future__ import annotations

from collections.abc import Mapping

import falcon

from parlor.wsgi.forms import FORM


def read_form(req: falcon.Request) -> Mapping[str, str]:
    """The request's form fields (the first value of each); 415 for a body that is no form."""
    fields: Mapping[str, str] | None = req.env.get(FORM)
    if fields is not None:
        return fields
    if req.content_length:
        raise falcon.HTTPUnsupportedMediaType(description="Send the form as a web page does.")
    return {}
