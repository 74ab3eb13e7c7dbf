"""The model's answers, read and checked: JSON parsed (one repair attempt), every citation verified.

An item (summary line, insight, candidate point, action) is kept only when
- it cites sentence numbers and every number exists (in what the model was shown),
- every quote is taken word for word from the sentence it names (case, spacing and typographic quotes aside;
  at least three words, or the whole sentence), and an insight has at least one quote,
- an action's owner, when given, is a participant.
Anything else is dropped and counted with its reason (`Tally`): insights.json's `"grounding"`.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.llm.prompts import Line, repair_messages
from pipeline.llm.transport import ChatModel, LLMError

log = logging.getLogger(__name__)

MIN_QUOTE_WORDS = 3


def parse_json(answer: str) -> dict[str, Any]:
    """The JSON object in a model's answer (reasoning tags and Markdown fences around it are ignored)."""
    text = re.sub(r"<think>.*?</think>", "", answer, flags=re.S | re.I).strip()
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text).strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the answer")
    try:
        value = json.loads(text[start:end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} at character {exc.pos}") from None
    if not isinstance(value, dict):
        raise ValueError("the answer is not a JSON object")
    return value


def ask_json(model: ChatModel, messages: list[dict[str, str]]) -> dict[str, Any]:
    """Ask, parse; on invalid JSON ask once more with the error; then give up with an `LLMError`."""
    answer = model.chat(messages)
    try:
        return parse_json(answer)
    except ValueError as exc:
        log.info("%s: invalid JSON (%s); asking once more", model.server, exc)
        problem = str(exc)
    try:
        return parse_json(model.chat(repair_messages(messages, answer, problem)))
    except ValueError as exc:
        cut = f"; the answer stopped at {model.max_tokens} tokens: raise --llm-context" \
            if getattr(model, "cut_off", False) else ""
        raise LLMError(f"{model.server}: no valid JSON after one repair attempt ({exc}{cut})") from None


def normalise(text: str) -> str:
    """Text for comparing quotes: NFKC, typographic quotes and dashes folded, spacing collapsed, case folded."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans(TYPOGRAPHIC))
    return " ".join(text.split()).casefold()


TYPOGRAPHIC: dict[str, str | int | None] = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                                            "\u2013": "-", "\u2014": "-", "\u2026": "..."}


@dataclass(frozen=True)
class Point:
    """A grounded item: its text as the model wrote it, the sentences it cites and those its quotes come from."""

    kind: str  # "summary", "insight" or "action"
    text: str
    ids: tuple[int, ...]
    quotes: tuple[int, ...] = ()
    title: str = ""
    owner: str | None = None  # a participant's display name (actions)
    due: str | None = None


@dataclass
class Tally:
    """Items dropped by the grounding check, by reason (kept items are counted by the backend at the end)."""

    dropped: Counter[str] = field(default_factory=Counter)

    def drop(self, reason: str) -> None:
        self.dropped[reason] += 1


class Grounder:
    """Checks items against the numbered sentences the model was shown."""

    def __init__(self, lines: Mapping[int, Line], owner: Callable[[str], str | None], tally: Tally) -> None:
        self.lines = lines
        self.owner = owner  # the model's owner string -> a participant's display name, or None
        self.tally = tally

    def _ids(self, raw: Any) -> tuple[int, ...] | None:
        if not isinstance(raw, list):
            raw = [] if raw is None else [raw]
        ids: list[int] = []
        for value in raw:
            try:
                number = int(str(value).strip(" []#"))
            except ValueError:
                return None
            if number not in self.lines:
                return None
            ids.append(number)
        return tuple(dict.fromkeys(ids))

    def _quotes(self, raw: Any) -> tuple[int, ...] | None:
        """The sentence numbers of the quotes, or None when any quote is not what that sentence says."""
        found: list[int] = []
        for quote in raw if isinstance(raw, list) else []:
            if not isinstance(quote, dict):
                return None
            ids = self._ids(quote.get("id", quote.get("ids")))
            said = normalise(str(quote.get("quote") or quote.get("text") or "")).strip(" \"'")
            if not ids or len(ids) != 1 or not said:
                return None
            sentence = normalise(self.lines[ids[0]].text)
            if said not in sentence or (len(said.split()) < MIN_QUOTE_WORDS and said != sentence.strip(" .!?")):
                return None
            found.append(ids[0])
        return tuple(dict.fromkeys(found))

    def _checked(self, item: Any, kind: str) -> Point | None:
        if not isinstance(item, dict) or not str(item.get("text") or "").strip():
            self.tally.drop("uncited" if isinstance(item, str) else "incomplete")  # a bare line cites nothing
            return None
        ids = self._ids(item.get("ids"))
        quotes = self._quotes(item.get("quotes"))
        if ids is None or quotes is None:
            self.tally.drop("unknown sentence" if ids is None else "quote not said")
            return None
        ids = tuple(dict.fromkeys(ids + quotes))
        if not ids:
            self.tally.drop("uncited")
            return None
        if kind == "insight" and not quotes:
            self.tally.drop("no quote")
            return None
        owner: str | None = None
        if kind == "action":
            given = str(item.get("owner") or "").strip()
            if given and given.lower() not in ("null", "none", "-"):
                owner = self.owner(given)
                if owner is None:
                    self.tally.drop("owner not a participant")
                    return None
        due = str(item.get("due") or "").strip() or None
        return Point(kind, " ".join(str(item["text"]).split()), ids, quotes, " ".join(str(item.get("title") or
                     "").split()), owner, None if due in (None, "null", "none") else due)

    def summary(self, items: Any) -> list[Point]:
        return [p for item in _list(items) if (p := self._checked(item, "summary")) is not None]

    def insights(self, items: Any) -> list[Point]:
        return [p for item in _list(items) if (p := self._checked(item, "insight")) is not None]

    def actions(self, items: Any) -> list[Point]:
        return [p for item in _list(items) if (p := self._checked(item, "action")) is not None]

    def points(self, answer: dict[str, Any]) -> list[Point]:
        """Candidate points of a `condense` or `merge` answer."""
        kept = []
        for item in _list(answer.get("points")):
            kind = "action" if isinstance(item, dict) and str(item.get("kind", "")).lower() == "action" \
                else "insight"
            point = self._checked(item, kind)
            if point is not None:
                kept.append(point)
        return kept


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
