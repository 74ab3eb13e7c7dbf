"""The ground every stage stands on: frozen types at the seams, errors, the session store (atomic writes, stage
cache), the one settings loader, language and labels, and names taken from file names.

Imports nothing from the rest of `pipeline`.
"""
