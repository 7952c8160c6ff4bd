"""HEAD wherever GET, for parlor's Falcon apps (RFC 9110 §9.3.2).

A HEAD request is answered as GET would be, without the body: same status,
same headers, Content-Length included. Falcon answers 405 to HEAD unless a
resource has ``on_head``; this router gives every resource that has
``on_get`` (or a suffixed one) the same responder for HEAD, so HEAD is also
listed in ``Allow`` and in OPTIONS answers. Falcon itself drops the body of
any response to HEAD and keeps its Content-Length.
"""

from __future__ import annotations

from typing import Any

from falcon import inspect
from falcon.routing import CompiledRouter


class HeadRouter(CompiledRouter):
    """Falcon's compiled router, with HEAD mapped to GET's responder where HEAD has none."""

    def map_http_methods(self, resource: object, **kwargs: Any) -> Any:
        methods: dict[str, Any] = super().map_http_methods(resource, **kwargs)
        if "GET" in methods and "HEAD" not in methods:
            methods["HEAD"] = methods["GET"]
        return methods


# falcon.inspect (and `falcon-inspect-app`) read a router only of a class they know.
inspect.register_router(HeadRouter)(inspect.inspect_compiled_router)
