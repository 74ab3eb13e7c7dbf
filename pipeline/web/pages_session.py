"""Pages of one processed session: speakers (clips, names), transcript (corrections), top 7 and actions (edits)."""

from __future__ import annotations

from starlette.routing import Route


def routes() -> list[Route]:
    return []
