"""Dutch language analysis: Frog as a separate process, the typed analysis of a session's turns.

`types` (Token, Sentence: CGN tags split into part of speech and features, heads, entities, separable verbs; the
analysis per turn, keyed by the text's hash, and its compact JSON form), `frog` (the Frog client: one child process
kept warm, texts in batches, its tab-separated output parsed; Frog is GPL-3 and is never linked or imported, only
run). May import `pipeline.core` only.
"""
