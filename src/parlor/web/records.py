"""A game's record on the web: download it from the fairness page, check any on the verify page.

``GET /fairness/record`` answers the ended game's record (``parlor.wire.records``)
as a file to keep or to share; ``GET /verify`` shows a form to upload one, and
``POST /verify`` checks it, here, with nothing from the house but the file:
the forms pipe has streamed the upload to the upload directory (server-made
name, SHA-256, size limit; ``parlor.wsgi.uploads``), this reads it, verifies
it, says so, and deletes it.
"""

from __future__ import annotations

import falcon

from parlor.web import visits
from parlor.web.pages import Page
from parlor.wire import records
from parlor.wsgi.forms import FILES
from parlor.wsgi.uploads import StoredFile, discard

#: The largest record the verify page reads: a game of 25,000 spins, well within the
#: front door's body limit (a larger upload would be refused there, without a page).
MAX_RECORD = 768 * 1024
#: The most mismatches a notice names; the rest are counted.
NAMED_MISMATCHES = 10


class RecordDownload(Page):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        session_id = visits.ended_session_id(req) or visits.require_session(req)
        session = self.client.session(session_id)
        if session.server_seed is None:
            visits.notice(
                req, "End the game first: its seed stays secret while you play.", tone="error"
            )
            raise falcon.HTTPSeeOther("/fairness")
        record = records.record_of(session, self.client.spins(session_id))
        resp.content_type = "application/json"
        resp.downloadable_as = f"parlor-game-{session.server_seed_hash[:12]}.json"
        resp.data = records.encode(record)


class Verify(Page):
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.show(req, resp, "verify.html", max_record=MAX_RECORD)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        uploads: list[StoredFile] = list(req.env.get(FILES, {}).get("record", []))
        try:
            if not uploads:
                visits.form_errors(req, "verify", {"record": "Choose a record file to check."}, {})
                raise falcon.HTTPSeeOther("/verify")
            upload = uploads[0]
            try:
                game = records.decode(upload.path.read_bytes())
            except ValueError as error:
                text = str(error)
                visits.form_errors(req, "verify", {"record": text[:1].upper() + text[1:] + "."}, {})
                raise falcon.HTTPSeeOther("/verify") from None
            result = records.check(game)
            fingerprint = f"File SHA-256 {upload.sha256[:16]}…"
            summary = result.describe(most=NAMED_MISMATCHES)
            visits.notice(req, f"{summary} {fingerprint}", tone="ok" if result.ok else "error")
            raise falcon.HTTPSeeOther("/verify")
        finally:
            discard(uploads)  # checked or refused, the file has done its work
