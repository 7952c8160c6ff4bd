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


def front_door() -> object:
    """The same app behind parlor's front door, configured as `parlor service` is."""
    from parlor.run.targets import front_door as door
    from parlor.settings import Settings

    return door(create(), Settings.from_env())
