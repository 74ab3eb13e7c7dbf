"""Themes and their ranking: embeddings centred on the conversation, a similarity threshold from its own
distribution, theme scores, maximal marginal relevance, and the summary."""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.insights.aboutness import aboutness, register, register_table
from pipeline.insights.features import Progress, SentenceFeatures
from pipeline.insights.nlp import (
    ASIDE_MARGIN,
    SUBSTANCE,
    Encoder,
    Sentence,
    aside_margin,
    clean_sentence,
    kind_similarities,
    lexicon,
    stop_words,
)

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

@dataclass
class Analysis:
    sentences: list[Sentence]
    features: list[SentenceFeatures]
    lang: str
    encoder: Encoder
    embedded: list[int]  # indices of sentences that were embedded
    vectors: np.ndarray  # centred, normalised vectors of `embedded`
    candidates: list[int]  # positions in `embedded` that may become insights
    sim: np.ndarray  # candidate x candidate similarity (centred space)
    threshold: float
    centrality: np.ndarray  # per candidate, 0..1 by rank
    substance: np.ndarray  # per candidate, 0..1 by rank: how much it is about the subject (see `_substance`)
    margin: np.ndarray  # per embedded sentence: aside margin (> 0: closer to procedure/logistics/small talk)
    asides: int = 0  # embedded sentences left out as procedure, logistics or small talk
    prototype: np.ndarray | None = None  # per candidate its closest lesson/decision/problem prototype (cosine)
    calibrated: bool = False  # the substance score was fitted with the language's register table (English)
    parsed: bool = False  # the sentences carry Frog's analysis: the cue is their grammar's (features.lesson_cue)

    @classmethod
    def build(cls, sentences: list[Sentence], features: list[SentenceFeatures], encoder: Encoder, lang: str,
              quantile: float, progress: Progress) -> Analysis:
        import numpy as np

        # Questions, procedure and one-word replies never become insights or summary lines: not worth embedding.
        parsed = any(s.parsed is not None for s in sentences)
        least = MIN_CONTENT_PARSED if parsed else MIN_CONTENT
        embedded = [s.index for s in sentences if s.words >= 5 and not s.is_question
                    and not features[s.index].procedural and features[s.index].content >= least - 1]
        # Run-on transcript sentences cost quadratic attention; their first 60 words carry the theme.
        texts = [" ".join(sentences[i].text.split()[:60]) for i in embedded]
        raw = _embed(encoder, texts, progress)
        kinds = kind_similarities(encoder, lang, raw)
        margin = aside_margin(kinds)
        vectors = raw - raw.mean(axis=0, keepdims=True) if len(raw) > 1 else raw
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        # Different wordings of one lesson share few exact words and the small encoder sees them as only somewhat
        # similar; a mix of the encoder (centred) and tf-idf on stemmed content words separates themes best.
        lexical = _lexical(sentences, embedded, lang)
        full = _EMBEDDING_WEIGHT * (vectors @ vectors.T) + (1 - _EMBEDDING_WEIGHT) * lexical \
            if len(vectors) else np.zeros((0, 0))
        # Asides: named by the lexicon ("koffie", "next meeting") or closer to the procedure, logistics and
        # small-talk prototypes than to the substance ones (threshold calibrated on QMSum train, see meaning.py).
        small = np.array([features[i].small_talk for i in embedded], dtype=bool) | (margin > ASIDE_MARGIN)
        # Sentences whose close neighbours are small talk are small talk too ("we hebben geluk met de zon"); only
        # neighbours that are really close count (mean + 2 sd of this conversation), or in a short conversation
        # every sentence would have small talk among its three nearest.
        if len(embedded) > 4 and small.any():
            off = full[~np.eye(len(full), dtype=bool)]
            close = full >= off.mean() + 2 * off.std()
            near = np.argsort(-full, axis=1)[:, 1:4]
            rows = np.arange(len(full))[:, None]
            small = small | ((small[near] & close[rows, near]).sum(axis=1) >= 2)
        candidates = [p for p, i in enumerate(embedded)
                      if not small[p] and not sentences[i].is_question and not features[i].procedural
                      and features[i].content >= least and sentences[i].words >= 5]
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
        prototype = np.max(np.stack([kinds[k] for k in SUBSTANCE]), axis=0)[candidates]
        substance = _substance(substance_parts(sentences, [embedded[p] for p in candidates], centrality, prototype,
                                               lang))
        log.info("insights: %d sentences, %d embedded, %d candidates, theme threshold %.3f",
                  len(sentences), len(embedded), len(candidates), threshold)
        return cls(sentences, features, lang, encoder, embedded, vectors, candidates, sim, threshold, centrality,
                   substance, margin, int(small.sum()), prototype, bool(register_table(lang)), parsed)

    def _index(self, position: int) -> int:
        return self.embedded[self.candidates[position]]

    def select(self, top: int, diversity: float | None, min_score: float,
               action_starts: set[float]) -> tuple[list[int], list[list[int]], list[float]]:
        """The seed sentence, its theme (sentence indices, closest first) and score of each chosen insight;
        `diversity` None: the language's (see `weights`)."""
        import numpy as np

        w_carriers, w_cue, w_theme_cue, w_closing, w_substance, language_diversity = weights(self.calibrated,
                                                                                             self.parsed)
        diversity = language_diversity if diversity is None else diversity

        n = len(self.candidates)
        if n == 0 or top <= 0:
            return [], [], []
        scores = np.zeros(n)
        eligible = np.zeros(n, dtype=bool)
        speakers = len({s.label for s in self.sentences})
        end_time = max(s.end for s in self.sentences) or 1.0
        when = [self.sentences[self._index(p)].start / end_time for p in range(n)]
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
            # Carriers count when there are several speakers; a monologue ranks on content alone.
            shared = (min(len(carriers), 4) - 1) / 3 if speakers > 1 else 0.0
            score = (w_carriers * shared + w_cue * f.cue + w_theme_cue * theme_cue + w_closing * closing
                     + w_substance * float(self.substance[p]))
            if self.parsed and not self.calibrated and f.facilitator:
                score -= W_FACILITATOR_PARSED  # the chair's own sentences steer more often than they teach
            if not self.calibrated and not _SPREAD <= when[p] <= 1 - _SPREAD:
                score -= W_EDGE  # the opening and closing minutes: the meeting's own business (see W_EDGE)
            if round(self.sentences[self._index(p)].start, 3) in action_starts:
                score *= 0.6  # a task is an action point, not a lesson
            scores[p] = score
            # Every candidate is substantive (no question, procedure, logistics or small talk, three content
            # words); the floor only keeps out the weakest when there are many.
            eligible[p] = score >= min_score
        duplicate = self.threshold  # two candidates of one theme say the same thing: never both rank
        chosen: list[int] = []
        while len(chosen) < top:
            best, best_value = -1, -np.inf
            for p in (int(x) for x in np.flatnonzero(eligible)):
                if p in chosen:
                    continue
                overlap = max((self.sim[p, c] for c in chosen), default=0.0)
                if overlap >= duplicate:
                    continue
                # A top 7 spans the conversation: a theme said right next to a chosen one weighs a little less.
                near = max((np.exp(-abs(when[p] - when[c]) / _SPREAD) for c in chosen), default=0.0)
                value = (1 - diversity) * scores[p] - diversity * max(float(overlap), 0.0) - W_SPREAD * near
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
            # Quotes show where the theme came back: members said apart from those already first go first.
            apart: list[int] = []
            for p in ordered:
                if all(abs(when[p] - when[q]) >= _SPREAD for q in apart):
                    apart.append(p)
            ordered = apart + [p for p in ordered if p not in apart]
            members.append([self._index(p) for p in ordered])
        return [self._index(c) for c in chosen], members, [round(float(scores[c]), 4) for c in chosen]

    def summary(self, seeds: Sequence[int]) -> list[str]:
        """5-10 sentences in conversation order: the casus and the themes of the chosen insights."""
        return [f"{s.speaker}: {clean_sentence(s.text, self.lang)}" for s in self.summary_sentences(seeds)]

    def summary_sentences(self, seeds: Sequence[int]) -> list[Sentence]:
        """The sentences of `summary`, in conversation order."""
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
        return [self.sentences[self._index(p)] for p in ordered]


_EMBEDDING_WEIGHT = 0.35
# A candidate says something: at least this many content words (features.content_words). With the analysis they are
# counted by part of speech, so a short lesson of spoken Dutch counts ("Eerst contact, dan pas de inhoud": contact,
# inhoud); on the tune set, 2 instead of 3 makes 205 instead of 118 of its 565 (325) candidates lesson sentences.
MIN_CONTENT, MIN_CONTENT_PARSED = 3, 2
# Theme score weights (sum 1). Set on QMSum train and the tune set (bench/calibrate_insights.py prints how each part
# separates summary-worthy sentences from strays on train); never on val or the report set.
W_CARRIERS, W_CUE, W_THEME_CUE, W_CLOSING, W_SUBSTANCE = 0.20, 0.20, 0.05, 0.10, 0.45
DIVERSITY = 0.5  # MMR trade-off: 0 = only score, 1 = only novelty
# Where the substance score is fitted on annotators' summaries (a language with a register table: English), it
# carries more and MMR diversifies less: the other weights keep their proportions. On QMSum train, 0.75 and 0.3 gave
# fewer strays than 0.45 and 0.5 in 28 meetings and more in 14 (of 119; 94 -> 77 strays, topic coverage of the seed
# sentences 0.845 -> 0.824); Dutch keeps the weights above: there the tune set's lessons lean on the cues and the
# carriers (11 of 15 lessons, 9 with the English weights).
W_SUBSTANCE_CALIBRATED, DIVERSITY_CALIBRATED = 0.75, 0.3


# With Frog's analysis (Dutch) the cue is the sentence's grammar (features.lesson_cue), which separates the tune set's
# lesson statements from the other candidates better than any other part (AUC 0.67 against substance 0.61, carriers
# 0.60): the weights are a logistic regression of "on a line that voices a lesson" on the five parts and whether the
# chair said it (features.facilitator), over the 565 candidates of the tune set's 7 Dutch conversations
# (leave-one-conversation-out AUC 0.71), scaled so that the five sum to 1.
W_PARSED = (0.10, 0.42, 0.09, 0.14, 0.25)  # carriers, cue, theme cue, closing, substance
W_FACILITATOR_PARSED = 0.25  # subtracted for a sentence of the chair, in the same fit
# The first and last _SPREAD of a conversation are the meeting's own business: welcome, agenda, coffee, the next date,
# who sends what, goodbyes. On the tune set's 15 Dutch conversations the candidates said there are 0 of 22 (start)
# and 5 of 41 (end) on a lesson line against 51 % of all candidates, and 31 of the 63 on a logistics line: they
# weigh as much less as the chair's own sentences (not fitted; 0.15-0.35 gave the same top 7s there): 78 instead of
# 76 of 90 lessons, logistics 3 instead of 4. On the 8 tune conversations written blind in session 6, scored after
# this was fixed: the same counts as without it (40/48 lessons, 2 logistics items). Languages with a register table
# (English) keep their fitted score.
W_EDGE = 0.25


def weights(calibrated: bool, parsed: bool = False) -> tuple[float, float, float, float, float, float]:
    """(carriers, cue, theme cue, closing, substance, diversity) of the theme score."""
    if parsed and not calibrated:
        return (*W_PARSED, DIVERSITY)
    if not calibrated:
        return W_CARRIERS, W_CUE, W_THEME_CUE, W_CLOSING, W_SUBSTANCE, DIVERSITY
    rest = (1 - W_SUBSTANCE_CALIBRATED) / (1 - W_SUBSTANCE)
    return (W_CARRIERS * rest, W_CUE * rest, W_THEME_CUE * rest, W_CLOSING * rest, W_SUBSTANCE_CALIBRATED,
            DIVERSITY_CALIBRATED)
# MMR also spreads the top over the conversation (topic coverage on QMSum train fell from 0.895 to 0.858 when the
# substance score concentrated the picks): penalty W_SPREAD for a pick within ~_SPREAD of the conversation's length.
# On train, 0.10 gave coverage 0.877 at stray share 0.179, 0.20 gave 0.889 at 0.205: 0.10, with quotes spread instead.
W_SPREAD, _SPREAD = 0.10, 0.05


# How much a sentence is about the subject rather than the speakers: a logistic regression of "summary-worthy"
# (ROUGE-1 precision >= 0.25 against the annotators' summary) on QMSum train (`bench/calibrate_insights.py
# --register`: 16,318 candidates of 81 meetings, the half the register table was not learned on; AUC 0.79).
# Coefficients per unit of: centrality rank, prototype rank (lesson/decision/problem), share of first- and
# second-person pronouns, length (words / 40, capped at 1), aboutness (aboutness.py: made of the words the group keeps
# using) and register (aboutness.register: closed-class words that summaries keep). On the 78 of those meetings the
# sweep could replay, the top 7's stray share fell from 0.211 to 0.110 (topic coverage 0.812 to 0.839).
_SUBSTANCE_COEF = (0.74, 0.23, 0.52, 0.31, 3.36, 8.24)
# Languages without a register table (Dutch: no meetings with summaries to learn one from) keep the earlier score:
# the first four parts by these coefficients (16 train meetings), mixed by rank with aboutness at W_ABOUTNESS. The
# same fit without the register column (0.46, 0.31, -4.08, 0.28, 8.25; stray share 0.152 on those 78 meetings) gives
# aboutness so much weight that the casus, said in the group's most used words, pushes lessons out of a Dutch
# intervision top 7 (tests/data/insights/intervisie_nl: 5 of 7 planted lessons instead of 6).
_SUBSTANCE_COEF_NO_REGISTER = (0.98, 0.61, -7.9, 0.88)
# Chosen on QMSum train (24 meetings apart from the 48 the word model was fitted on) and the tune set: weight 0 / 0.25 /
# 0.5 gave stray shares 0.256 / 0.119 / 0.113 and tune-set lessons 12 / 12 / 10 of 15.
W_ABOUTNESS = 0.25


def substance_parts(sentences: list[Sentence], indices: list[int], centrality: np.ndarray, prototype: np.ndarray,
                    lang: str) -> np.ndarray:
    """Per candidate the parts of its substance score, one column each (see `_SUBSTANCE_COEF`)."""
    import numpy as np

    personal = set(lexicon(lang)["pronouns"]["personal"])
    tokens = [re.findall(r"[^\W\d_][\w']*", sentences[i].text.lower()) for i in indices]
    share = np.array([sum(w in personal for w in words) / max(len(words), 1) for words in tokens])
    length = np.array([min(sentences[i].words, 40) / 40 for i in indices])
    fit = prototype.argsort().argsort() / max(len(indices) - 1, 1)
    columns = [np.asarray(centrality, dtype=float), fit, share, length, aboutness(sentences, indices, lang)]
    written = register(sentences, indices, lang)
    if written is not None:
        columns.append(written)
    return np.column_stack(columns) if indices else np.zeros((0, len(columns)))


def _substance(parts: np.ndarray) -> np.ndarray:
    """Per candidate, 0..1 by rank within the conversation."""
    import numpy as np

    if not len(parts):
        return np.zeros(0)
    if parts.shape[1] == len(_SUBSTANCE_COEF):
        return _rank(parts @ np.array(_SUBSTANCE_COEF))
    value = parts[:, :4] @ np.array(_SUBSTANCE_COEF_NO_REGISTER)
    return _rank((1 - W_ABOUTNESS) * _rank(value) + W_ABOUTNESS * _rank(parts[:, 4]))


def _rank(values: np.ndarray) -> np.ndarray:
    """0..1 by rank."""
    import numpy as np

    return np.asarray(values.argsort().argsort() / max(len(values) - 1, 1))


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

    stop = stop_words(lang)

    def doc(s: Sentence) -> str:
        return " ".join(w[:6] for w in s.lemmas if len(w) > 2 and w not in stop)

    docs = [doc(s) for s in sentences]
    if not embedded or not any(docs[i] for i in embedded):
        return np.zeros((len(embedded), len(embedded)))
    tfidf = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True).fit([d for d in docs if d] or ["x"])
    matrix = tfidf.transform([docs[i] for i in embedded])
    return np.asarray((matrix @ matrix.T).todense())


# ---------------------------------------------------------------- titles
