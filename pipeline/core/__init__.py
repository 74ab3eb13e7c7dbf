"""The ground every stage stands on: frozen types at the seams, errors, the session store (atomic writes, stage
cache), the one settings loader, language and the fixed texts (texts/nl.toml, texts/en.toml), names taken from file
names, the one-writer lock of a session folder (`lock`) and the layers people add on top of what the models wrote
(`layers`: corrections, edits, sent versions, roster).

Imports nothing from the rest of `pipeline`.
"""
