"""Expected failures. Their message is what the user sees: which file, what is wrong, what to do."""

from __future__ import annotations


class OogstError(Exception):
    """An expected failure. The CLI prints its message as one line and exits with code 1."""


class InputError(OogstError):
    """A file given by the user cannot be used (missing, wrong kind, malformed)."""


class AudioError(InputError):
    """An audio or video file cannot be decoded into speech."""


class TranscriptImportError(InputError):
    """An existing transcript (VTT, SRT, text, .docx) cannot be read; the message names the line."""


class ModelError(OogstError):
    """A model is missing, incomplete or cannot be loaded."""


class ConfigError(OogstError):
    """A setting (command-line option, environment variable, config file) is wrong."""


class SessionError(OogstError):
    """A session folder lacks an artefact a command needs, or an artefact is damaged."""


class ReviewError(OogstError):
    """A returned, annotated .docx cannot be read."""


class MailError(OogstError):
    """Composing or sending the mail failed."""
