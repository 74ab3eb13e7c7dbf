"""The analysis at the seam: a Token per word and a Sentence of tokens, as Frog gives them.

CGN tags ("WW(pv,tgw,met-t)") are split into the part of speech (`WW`) and its features (`pv`, `tgw`, `met-t`);
heads are 0-based token indices within the sentence (None for the root, or when the parser did not run).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_TAG = re.compile(r"^([A-Z]+)\((.*)\)$")
_MORPHEME = re.compile(r"\[([^\[\]]*)\]")

# Tokens Frog sometimes puts at the edge of an entity span ("naar Fatima" as B-PER I-PER): not part of a name.
_NOT_IN_NAMES = {"VZ", "LID", "LET", "VG", "BW"}


def split_tag(cgn: str) -> tuple[str, tuple[str, ...]]:
    """"WW(pv,tgw,ev)" -> ("WW", ("pv", "tgw", "ev")); a tag without brackets has no features."""
    match = _TAG.match(cgn)
    if not match:
        return cgn, ()
    return match.group(1), tuple(f for f in match.group(2).split(",") if f)


def split_morphemes(morph: str) -> tuple[str, ...]:
    """"[resulteer][aat][en]" -> ("resulteer", "aat", "en")."""
    return tuple(_MORPHEME.findall(morph))


@dataclass(frozen=True)
class Token:
    text: str  # the word as written (Frog joins multi-word units with "_": "New_York")
    lemma: str
    morph: tuple[str, ...]  # morphemes; () when morphology was skipped
    tag: str  # CGN part of speech: N, WW, VNW, ADJ, BW, VZ, LID, VG, TW, TSW, SPEC, LET
    tag_features: tuple[str, ...]  # e.g. ("pv", "tgw", "ev"): finite, present, singular
    confidence: float  # the tagger's confidence in `tag`, 3 decimals (as stored: a cached analysis equals a fresh one)
    entity: str = ""  # IOB: "B-PER", "I-LOC", ...; "" outside an entity or when NER was skipped
    chunk: str = ""  # IOB: "B-NP", "I-VP", ...; "" when the chunker was skipped
    head: int | None = None  # 0-based index of the head token; None for the root or when not parsed
    relation: str = ""  # su, obj1, svp, mod, ROOT, ...; "" when not parsed

    @property
    def cgn(self) -> str:
        """The tag as Frog writes it: "WW(pv,tgw,ev)"."""
        return f"{self.tag}({','.join(self.tag_features)})"

    @property
    def entity_type(self) -> str | None:
        """PER, LOC, ORG, PRO, EVE, MISC, or None."""
        return self.entity[2:] if self.entity[1:2] == "-" else None

    @property
    def is_finite_verb(self) -> bool:
        return self.tag == "WW" and "pv" in self.tag_features


@dataclass(frozen=True)
class Entity:
    kind: str  # PER, LOC, ORG, ...
    start: int  # first token index
    end: int  # one past the last token
    text: str


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[Token, ...]

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)

    @property
    def parsed(self) -> bool:
        return any(t.relation for t in self.tokens)

    def dependents(self, index: int, relation: str | None = None) -> list[int]:
        """Indices of the tokens whose head is `index` (only those with `relation` when given)."""
        return [i for i, t in enumerate(self.tokens)
                if t.head == index and (relation is None or t.relation == relation)]

    def subject(self, verb: int) -> int | None:
        """The index of the subject (`su`) of the verb at `verb`, if the parser found one."""
        found = self.dependents(verb, "su")
        return found[0] if found else None

    def verb_lemma(self, verb: int) -> str:
        """The verb's lemma with its separated particle joined: "neem ... mee" -> "meenemen"."""
        particles = [self.tokens[i].lemma for i in self.dependents(verb, "svp")
                     if self.tokens[i].tag in ("VZ", "BW", "ADJ") and " " not in self.tokens[i].lemma]
        return "".join(particles) + self.tokens[verb].lemma

    def entities(self) -> list[Entity]:
        """Named entities as spans, without the function words Frog sometimes puts at a span's edge."""
        spans: list[list[int]] = []
        kinds: list[str] = []
        for i, token in enumerate(self.tokens):
            kind = token.entity_type
            if kind is None:
                continue
            if token.entity.startswith("I-") and spans and kinds[-1] == kind and spans[-1][-1] == i - 1:
                spans[-1].append(i)
            else:
                spans.append([i])
                kinds.append(kind)
        found = []
        for kind, span in zip(kinds, spans, strict=True):
            while span and self.tokens[span[0]].tag in _NOT_IN_NAMES:
                span.pop(0)
            while span and self.tokens[span[-1]].tag in _NOT_IN_NAMES:
                span.pop()
            if span:
                text = " ".join(self.tokens[i].text.replace("_", " ") for i in span)
                found.append(Entity(kind, span[0], span[-1] + 1, text))
        return found


# The compact JSON form of a token: a list in this order (the artefact stays small; see cache.py).
TOKEN_FIELDS = ("text", "lemma", "morph", "tag", "confidence", "entity", "chunk", "head", "relation")


def token_to_list(token: Token, tags: dict[str, int]) -> list[Any]:
    """A token as a short list: the lemma "" when it equals the text, morphemes joined by "+" (a list if one
    holds a "+"), the CGN tag as its number in `tags` (added when new), the head 1-based as Frog gives it (0 the
    root, None not parsed)."""
    head = None if not token.relation else (0 if token.head is None else token.head + 1)
    morph: str | list[str] = list(token.morph) if any("+" in m for m in token.morph) else "+".join(token.morph)
    tag = tags.setdefault(token.cgn, len(tags))
    return [token.text, "" if token.lemma == token.text else token.lemma, morph, tag,
            round(token.confidence, 3), token.entity, token.chunk, head, token.relation]


def token_from_list(row: list[Any], tags: list[str]) -> Token:
    text, lemma, morph, tag_number, confidence, entity, chunk, head, relation = row
    tag, features = split_tag(tags[int(tag_number)])
    morphemes = tuple(map(str, morph)) if isinstance(morph, list) else tuple(morph.split("+")) if morph else ()
    return Token(str(text), str(lemma) or str(text), morphemes, tag, features,
                 float(confidence), str(entity), str(chunk), int(head) - 1 if head else None, str(relation))


FORMAT = 1


class Analyser(Protocol):
    """What `analyse_turns` needs: `Frog` is one; tests pass fakes."""

    def analyse(self, texts: Sequence[str], progress: Callable[[float], None] | None = None
                ) -> list[list[Sentence]]: ...


def text_key(text: str) -> str:
    """The cache key of one text: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def analyse_turns(texts: Sequence[str], previous: dict[str, list[Sentence]] | None = None, *,
                  analyser: Analyser,
                  progress: Callable[[float], None] | None = None) -> dict[str, list[Sentence]]:
    """The sentences of every text, keyed by `text_key`; only texts missing from `previous` are analysed.

    The result holds the keys of `texts` only, so stale entries of an earlier run drop out. `previous` must come
    from the same engine (compare `from_dict(..., engine=)`); `analyser` is usually `frog.shared_frog()`.
    """
    previous = previous or {}
    keys = [text_key(t) for t in texts]
    todo: dict[str, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in previous and key not in todo:
            todo[key] = text
    fresh: dict[str, list[Sentence]] = {}
    if todo:
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
