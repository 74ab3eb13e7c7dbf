"""The review round: `draft` writes draft.docx (and final.docx); participants comment in Word; `ooxml` reads
their copies safely, `interpret` understands each comment, `aggregate` turns votes and proposals into the final
ranking, and `final` (`oogst collect`) writes review.json, final.json and final.docx; `versions` freezes a sent
draft (sent/vN/) and picks the version returned copies are read against; `speaking` and `timeline` add the
speaking time and the intervision phases to the draft.

May import `pipeline.core` and `pipeline.privacy` (a pseudonymised session's documents show labels).
"""

from pipeline.review.final import CollectResult, collect
from pipeline.review.interpret import Interpretation, interpret, vote_of
from pipeline.review.ooxml import DocxReading, ReviewProblem, read_docx

__all__ = ["CollectResult", "DocxReading", "Interpretation", "ReviewProblem", "collect", "interpret", "read_docx",
           "vote_of"]
