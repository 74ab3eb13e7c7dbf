"""The opt-in generative insights backend (`--insights llm`): a language model the user points at writes the
summary, the top 7 and the actions, and Oogst keeps only what the conversation proves.

`transport` talks to the model (an OpenAI-compatible `/v1/chat/completions` server over httpx, or a local model
folder through transformers) and owns the privacy rule for server addresses; `prompts` holds the session templates
(package data, `templates/{nl,en}/*.md`), numbers the sentences and cuts long meetings into chunks; `grounding`
parses and repairs the JSON answers and checks every citation; `masking` replaces names by labels for a remote
server; `backend` is the `InsightBackend` that ties them together and falls back on the extractive backend.

httpx and transformers are the `llm` extra (checked when a backend is made from the settings).
May import `pipeline.core`, `pipeline.insights` (sentences, the extractive backend, due dates, recognition) and
`pipeline.privacy` (labels, the rule-based name detector).
"""
