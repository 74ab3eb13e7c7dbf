"""Pages after the draft: frozen sent versions, returned copies -> final, participants, mail."""

from __future__ import annotations

from starlette.routing import Route


def routes() -> list[Route]:
    return []
