"""Turns -> summary, ranked insights and action points (insights.json).

`nlp` (sentences, encoder, lexicons, kinds of statement by meaning), `features` (per sentence), `ranking` (themes,
MMR, summary), `titles`, `clauses` (commitments by word order), `readings` (Dutch commitments by Frog's parse),
`actions`, `duedates`, `aboutness`, `confidence`, `extract` (the InsightBackend protocol, the extractive backend and
`extract_insights`), `phases` (the intervision phases of a conversation, for turns.json and insights.json, from
announcements or, when none is heard, from the turn-taking alone) `methods` (with Frog's analysis: the phases
from the turn-taking around the case-bringer and the moves) and `recognise` (the method the group follows, from what
the others do in the round, with its own step names).
May import `pipeline.core` only.
"""
