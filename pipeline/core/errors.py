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


class MissingExtra(OogstError):
    """A feature needs an optional part of Oogst (an extra in pyproject.toml) that is not installed."""


# The extras of pyproject.toml and the modules each brings (the import names, not the distributions). The core
# (transcription, speakers, insights, the draft, review, mail) needs none of them.
EXTRAS: dict[str, tuple[str, ...]] = {
    "web": ("starlette", "uvicorn", "jinja2", "python_multipart"),
    "queue": ("celery", "redis"),
    "llm": ("httpx", "transformers"),
    "privacy": ("deduce",),
}


def require(extra: str, feature: str) -> None:
    """Raise `MissingExtra` ("FEATURE needs the EXTRA extra: pip install 'oogst[EXTRA]'") unless its modules are
    installed. Only looks them up: the feature imports them itself, where it uses them."""
    import importlib.util

    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a broken install, or a module set to None in sys.modules
            found = False
        if not found:
            raise MissingExtra(f"{feature} needs the {extra} extra: pip install 'oogst[{extra}]'")
