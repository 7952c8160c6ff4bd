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
    """The same app behind parlor's front door and in its app process, as the service runs."""
    from parlor.run.targets import app_process_door
    from parlor.settings import Settings

    return app_process_door("hello_app:app_setup", Settings.from_env())


def app_setup(publish: object) -> object:
    from parlor.run.request import AppSetup

    return AppSetup(create())
