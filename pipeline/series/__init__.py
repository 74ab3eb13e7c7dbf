"""A group's series of sessions: which sessions belong together, the open action points carried from one session to
the next, recurring themes, speaking time over the sessions and (only when switched on) voice profiles.

A series lives in the outputs folder, `outputs/.series/<name>/` (`store`), changed under a lock so two sessions
finishing at once do not overwrite each other; a session records its series in `<session>/series.json`.

May import `pipeline.core`, `pipeline.insights` (content words, the sentence encoder), `pipeline.speakers` (voice
embeddings), `pipeline.privacy` (a pseudonymised draft's labels) and `pipeline.review` (the draft's sections,
speaking time, collected comments).
"""
