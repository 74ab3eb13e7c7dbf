"""Search across sessions: the corrected transcripts (names and line corrections applied, as the transcript page shows
them), the top 7 and the action points of every session in the outputs folder, by word and by meaning. May import
core, insights (the sentence encoder), privacy, review, export (what the pages show) and series (a session's series).

`index` keeps an SQLite FTS5 index in the state folder (`core.session.SEARCH_INDEX`, on this machine only), brought up
to date lazily on every search by comparing the artefacts' times and sizes with what was indexed; pseudonymised
sessions are indexed with their labels unless `[search] originals = true`. `meaning` ranks the same texts by their
sentence vectors (the encoder the insights stage loads); the web app asks the worker for it through a small table of
requests in the same file (`asks`), the worker answers from its thread (`serve_asks`); with a job broker the request
is a Celery task instead (`jobs.search`).
"""
