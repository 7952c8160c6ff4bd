"""The anchor for the REST benchmark: a hello-world Falcon app, nothing else."""

from __future__ import annotations

import falcon


class Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"hello": "world"}


def create() -> falcon.App:
    app = falcon.App()
    app.add_route("/hello", Hello())
    return app
