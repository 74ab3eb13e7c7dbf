"""Turns -> summary, ranked insights and action points (insights.json).

`nlp` (sentences, encoder, lexicons), `features` (per sentence), `ranking` (themes, MMR, summary), `titles`,
`actions`, and `extract` (the InsightBackend protocol, the extractive backend and `extract_insights`).
May import `pipeline.core` only.
"""
