"""The summary's paragraphs in the facilitator's words, as an operation a person does: a paragraph
(`summary_sections`, a phase of an intervision or a theme) rewritten on the session's overview page, or taken back
to what was said. It is kept in the same edits layer as the top 7 (edits.json "summary", `core.layers`), under the
session's lock of the application service with the version the page showed checked, and the draft follows (the
front end's re-run). A re-run of the insights keeps it while its paragraph (same phase and heading) is there
(`layers.carry_section_edits`).
"""

from __future__ import annotations

import datetime as dt

from pipeline.core.editing import section_edited
from pipeline.core.layers import apply_edits, section_keys
from pipeline.core.session import EDITS, Session
from pipeline.core.types import SummarySection
from pipeline.service import Oogst


def rewrite(oogst: Oogst, session: Session, key: str, text: str, *, base: str | None = None) -> None:
    """Paragraph `key` (`layers.section_key`) in the facilitator's words; an empty text, or the paragraph as said,
    is `back_to_said`. `base`: the version of edits.json the page showed, checked (`EditConflict`)."""
    at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    with oogst.locked(session, "edit", layer=EDITS, base=base):
        session.save_edits(section_edited(session, session.edits(), key, text, at=at))
    if oogst.rerun is not None:  # the draft follows: the web app queues a re-run, the CLI leaves it to `oogst run`
        oogst.rerun(session)


def back_to_said(oogst: Oogst, session: Session, key: str, *, base: str | None = None) -> None:
    """Paragraph `key` as said again: the facilitator's text for it removed (or, for one a re-run dropped, its note)."""
    rewrite(oogst, session, key, "", base=base)


def shown_sections(session: Session) -> list[tuple[str, SummarySection]]:
    """The summary's paragraphs as the draft shows them (the facilitator's words in place), each with its key."""
    sections = apply_edits(session.insights(), session.edits()).sections or ()
    return list(zip(section_keys(sections), sections, strict=True))
