"""The local web app (`oogst serve`): server-rendered pages over the same functions as the CLI, a streamed upload,
live progress from the job queue (server-sent events) and its controls, login and CSRF protection. templates/ and
static/ hold the pages, the style sheet and the little JavaScript there is (progress, drag-and-drop, audio). May
import core, ingest, speakers, review, mail, jobs, series (a group's series page) and retention. Starlette, uvicorn,
Jinja2 and python-multipart are the `web` extra: without them, importing this package raises `MissingExtra`.
"""

from pipeline.core.errors import require

require("web", "oogst serve")  # before any page imports Starlette: one line naming the extra, not a traceback
