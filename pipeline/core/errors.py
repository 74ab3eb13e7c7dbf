"""Expected failures. Their message is what the user sees: which file, what is wrong, what to do.

The command line shows `str(exc)`, in English (as command-line tools do). A web page shows `exc.text(language)`:
the error's `key` looked up in the [messages] section of `core/texts/<language>.toml`, its placeholders filled with
the error's parameters (the file's name as uploaded, the session's name: never a server path). An error without a
key shows a generic sentence on a Dutch page, never the English text, and its English message goes to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """A text of [messages] by its key, with the values of its placeholders; a value that is itself a `Message` is
    shown in the same language (a problem inside a sentence)."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, language: str | None) -> str:
        """The message in `language` (the one fallback rule: Dutch for Dutch, else English)."""
        from pipeline.core.language import texts

        values = {name: value.text(language) if isinstance(value, Message) else value
                  for name, value in self.params.items()}
        return texts(language, "messages")[self.key].format(**values)

    def to_dict(self) -> dict[str, Any]:
        """As JSON (review.json keeps the problem of each copy, a failed job its error)."""
        return {"key": self.key, "params": {name: value.to_dict() if isinstance(value, Message) else value
                                            for name, value in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Any) -> Message | None:
        """The message `to_dict` wrote; None for anything else (a file of an older version)."""
        if not isinstance(data, dict) or not isinstance(data.get("key"), str):
            return None
        params = data.get("params")
        params = params if isinstance(params, dict) else {}
        return cls(data["key"], {name: cls.from_dict(value) or value if isinstance(value, dict) else value
                                 for name, value in params.items()})


def shown(message: Message | None, detail: str, language: str | None, *, generic: str = "generic") -> str:
    """What a page shows for a problem: `message` in `language`; without one (or when it cannot be filled in) the
    `generic` message, or on an English page the English `detail`. The detail is logged whenever it is not shown."""
    from pipeline.core.language import text_language, texts

    if message is not None:
        try:
            return message.text(language)
        except (KeyError, IndexError, ValueError):
            log.exception("message %r cannot be shown with %r", message.key, dict(message.params))
    if text_language(language) == "en" and detail:
        return detail
    log.warning("shown as the generic message: %s", detail)
    return texts(language, "messages")[generic]


class OogstError(Exception):
    """An expected failure. The CLI prints its message as one line and exits with code 1; a web page shows
    `text(language)`, the [messages] entry of `key` with `params` filled in.

        raise ConfigError(f"--date {value}: give the date as YYYY-MM-DD", "date_format", value=value)
    """

    def __init__(self, message: str = "", /, key: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.key = key
        self.params = params

    @property
    def message(self) -> Message | None:
        """What a page shows, as a `Message` (None without a key)."""
        return Message(self.key, self.params) if self.key is not None else None

    def text(self, language: str | None) -> str:
        """The message in the page's language (see `shown`)."""
        return shown(self.message, str(self), language)


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


class EditConflict(SessionError):
    """A save made on a page that was older than what is saved now (another tab or window saved in between): refused,
    so nothing saved there is overwritten unseen. `layer` is the file, `version` the one saved now."""

    def __init__(self, session: str, layer: str, version: str) -> None:
        super().__init__(f"{session}: {layer} was changed since this page was loaded (another tab or window saved "
                         "it); reload the page and make the change again", "edit_conflict", name=session)
        self.layer = layer
        self.version = version


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
            raise MissingExtra(f"{feature} needs the {extra} extra: pip install 'oogst[{extra}]'", "missing_extra",
                               extra=extra)
