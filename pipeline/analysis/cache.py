"""The analysis of a session's turns, one entry per distinct text keyed by its hash, and its compact JSON form.

A re-run after naming a speaker or correcting a line sends only the texts that changed: `analyse_turns` takes the
previous analysis and asks the analyser for the texts it does not hold yet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .types import TOKEN_FIELDS, Sentence, token_from_list, token_to_list

FORMAT = 1


class Analyser(Protocol):
    """What `analyse_turns` needs: `Frog` is one; tests pass fakes."""

    def analyse(self, texts: Sequence[str], progress: Callable[[float], None] | None = None
                ) -> list[list[Sentence]]: ...


def text_key(text: str) -> str:
    """The cache key of one text: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def analyse_turns(texts: Sequence[str], previous: dict[str, list[Sentence]] | None = None, *,
                  analyser: Analyser | None = None,
                  progress: Callable[[float], None] | None = None) -> dict[str, list[Sentence]]:
    """The sentences of every text, keyed by `text_key`; only texts missing from `previous` are analysed.

    The result holds the keys of `texts` only, so stale entries of an earlier run drop out. `previous` must come
    from the same engine (compare `from_dict(..., engine=)`).
    """
    previous = previous or {}
    keys = [text_key(t) for t in texts]
    todo: dict[str, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in previous and key not in todo:
            todo[key] = text
    fresh: dict[str, list[Sentence]] = {}
    if todo:
        if analyser is None:
            from .frog import shared_frog

            analyser = shared_frog()
        fresh = dict(zip(todo, analyser.analyse(list(todo.values()), progress=progress), strict=True))
    elif progress is not None:
        progress(1.0)
    return {key: previous[key] if key in previous else fresh[key] for key in keys}


def to_dict(analysis: dict[str, list[Sentence]], engine: dict[str, Any]) -> dict[str, Any]:
    """The JSON artefact: the engine, the token fields and the CGN tags once, and per text key its sentences as
    lists of tokens (each a short list; its tag a number into `tags`)."""
    tags: dict[str, int] = {}
    texts = {key: [[token_to_list(t, tags) for t in s.tokens] for s in sentences]
             for key, sentences in analysis.items()}
    return {"format": FORMAT, "engine": engine, "fields": list(TOKEN_FIELDS), "tags": list(tags), "texts": texts}


def from_dict(data: dict[str, Any], *, engine: dict[str, Any] | None = None) -> dict[str, list[Sentence]]:
    """The analysis back; empty when it was written in another format or, if `engine` is given, by another one."""
    if data.get("format") != FORMAT or data.get("fields") != list(TOKEN_FIELDS):
        return {}
    if engine is not None and data.get("engine") != engine:
        return {}
    tags = [str(tag) for tag in data.get("tags", [])]
    return {key: [Sentence(tuple(token_from_list(row, tags) for row in sentence)) for sentence in sentences]
            for key, sentences in data.get("texts", {}).items()}
