"""Turns -> summary, ranked insights and action points (insights.json).

`nlp` (sentences, encoder, lexicons), `features` (per sentence), `ranking` (themes, MMR, summary), `titles`,
`actions`, `extract` (the InsightBackend protocol, the extractive backend and `extract_insights`), and `phases`
(the intervision phases of a conversation, for turns.json and insights.json; `phase_pattern` finds them from the
turn-taking alone when no announcement is heard).
May import `pipeline.core` only.
"""
