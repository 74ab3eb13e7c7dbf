"""A summary a facilitator would write, still only from what was said (insights.json's `summary_sections`).

For an intervision (the turns carry phases): a short paragraph per phase — the case and its question, what the
questions brought out, the advice (or the method's own step: a Balint group's exploration), what the case-bringer
takes away, and what was agreed. For any other conversation: a paragraph per theme of the top 7, in the order the
themes came up, each with the summary's sentences that belong to it.

Every sentence is what someone said (cleaned of fillers and false starts: Frog's interjections and repeated words
when the analysis is there, the fillers list otherwise), with its speaker and its time, so the draft and the pages
link to the moment. The only words Oogst adds are the linking phrases of `[summary]` in the texts
(`core/texts/{nl,en}.toml`), which name who and which phase, nothing else. `summary` (the flat list of "Name:
sentence" lines, with the draft's bookmarks and the review's targets) is the sections' sentences in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from pipeline.core.language import texts
from pipeline.core.types import Action, Insight, SummarySection, SummarySentence, Turns
from pipeline.insights.nlp import Sentence, clean_sentence

PER_PHASE = {"casus": 2, "questions": 2, "advice": 3, "reaction": 2, "closing": 2}  # sentences at most
MIN_WORDS = 6  # shorter sentences say too little on their own ("Ja, dat klopt wel.")
KEEP = {"ja", "nee", "yes", "no"}  # interjections that say something
REPEAT = re.compile(r"\b(\w+)(?:[\s,]+\1\b)+", re.IGNORECASE)  # "ik ik", "de de": a false start


def spoken(sentence: Sentence, language: str) -> str:
    """The sentence as it reads: interjections (CGN TSW: "eh", "ehm", "hè"; not "ja"/"nee") and immediate repeats
    ("ik ik") left out, then the fillers rule of `clean_sentence`."""
    text = sentence.text
    if sentence.parsed is not None:
        out, last, at = [], 0, 0
        for token in sentence.parsed.tokens:
            found = text.find(token.text, at)
            if found < 0:
                continue
            at = found + len(token.text)
            if token.tag == "TSW" and token.text.lower() not in KEEP:
                out.append(text[last:found])
                last = at
                while last < len(text) and text[last] in " ,":
                    last += 1
        text = "".join(out) + text[last:]
    return clean_sentence(REPEAT.sub(r"\1", text), language)


def _said(sentence: Sentence, language: str, line: int | None = None) -> SummarySentence:
    return SummarySentence(spoken(sentence, language), sentence.speaker, round(sentence.start, 3),
                           round(sentence.end, 3), line)


def numbered(sections: Sequence[SummarySection]) -> tuple[SummarySection, ...]:
    """The sections with their sentences numbered as the lines of `summary` (in order)."""
    out, line = [], 0
    for section in sections:
        said = []
        for sentence in section.sentences:
            line += 1
            said.append(replace(sentence, line=line))
        out.append(replace(section, sentences=tuple(said)))
    return tuple(out)


def lines_of(sections: Sequence[SummarySection]) -> list[str]:
    """`summary`'s lines ("Name: sentence") from numbered sections."""
    return [f"{s.speaker}: {s.text}" if s.speaker else s.text for section in sections for s in section.sentences]


def summary_sections(turns: Turns, sentences: Sequence[Sentence], lines: Sequence[Sentence],
                     insights: Sequence[Insight], actions: Sequence[Action], language: str,
                     worth: Callable[[int], float]) -> tuple[SummarySection, ...]:
    """The paragraphs of the summary (see the module docstring).

    Args:
        lines: the summary's sentences as the ranking chose them (conversation order), used for a non-intervision.
        worth: how much a sentence (its index) says about the subject; higher is better, below 0 not a candidate.
    """
    words = texts(language, "summary")
    phases = turns.phases
    if phases is not None and phases.found:
        return numbered(_by_phase(turns, sentences, actions, language, worth, words))
    return _by_theme(lines, insights, language, words)


def _by_phase(turns: Turns, sentences: Sequence[Sentence], actions: Sequence[Action], language: str,
              worth: Callable[[int], float], words: Mapping[str, str]) -> tuple[SummarySection, ...]:
    assert turns.phases is not None
    bringers = list(turns.phases.case_bringers)
    sections: list[SummarySection] = []
    for phase in turns.phases.phases:
        if phase.phase not in PER_PHASE:
            continue
        bringer = bringers[(phase.case or 1) - 1] if bringers else ""
        inside = [s for s in sentences if phase.start <= s.start < phase.end and s.words >= MIN_WORDS]
        own = [s for s in inside if s.speaker == bringer]
        others = [s for s in inside if s.speaker != bringer]
        chosen: list[Sentence] = []
        if phase.phase == "casus":
            chosen = _best(own or inside, worth, PER_PHASE["casus"] - 1, questions=False)
            asked = [s for s in (own or inside) if s.is_question]
            chosen += asked[-1:]  # the case's question: usually the last thing the case-bringer asks
        elif phase.phase == "questions":
            chosen = _best(own, worth, PER_PHASE["questions"], questions=False)  # what the answers brought out
        elif phase.phase == "advice":
            chosen = _best(others or inside, worth, PER_PHASE["advice"], questions=False)
        else:  # reaction, closing: what the case-bringer takes away (the others' closing words when they are silent)
            chosen = _best(own or others, worth, PER_PHASE[phase.phase], questions=False)
        if not chosen:
            continue
        chosen = sorted(dict.fromkeys(chosen), key=lambda s: s.start)
        lead = words.get(f"lead_{phase.phase}", "").format(name=bringer or words["someone"],
                                                          label=phase.label.lower())
        sections.append(SummarySection(phase.label, phase.phase, lead, tuple(_said(s, language) for s in chosen),
                                       bringer if "{name}" in words.get(f"lead_{phase.phase}", "") else ""))
    agreed = [a for a in actions if a.text.strip()]
    if agreed:
        said = tuple(SummarySentence(clean_sentence(a.text, language), a.owner or "", round(a.start, 3),
                                     round(a.start, 3)) for a in agreed)
        sections.append(SummarySection(words["agreed"], None, words["lead_agreed"], said))
    return tuple(sections)


def _best(candidates: Sequence[Sentence], worth: Callable[[int], float], n: int, *,
          questions: bool) -> list[Sentence]:
    pool = [s for s in candidates if questions or not s.is_question]
    ranked = sorted(pool, key=lambda s: (worth(s.index), s.words), reverse=True)
    return ranked[:n]


def _by_theme(lines: Sequence[Sentence], insights: Sequence[Insight], language: str,
              words: Mapping[str, str]) -> tuple[SummarySection, ...]:
    """A paragraph per top-7 theme that the summary's sentences speak to, in the order the themes came up."""
    if not lines:
        return ()
    themes = [i for i in insights if i.quotes]

    def theme_of(sentence: Sentence) -> int | None:
        """The insight whose quotes hold this sentence, else the one quoted nearest before it."""
        for k, insight in enumerate(themes):
            if any(q.start <= sentence.start <= q.end + 0.01 and q.speaker == sentence.speaker
                   for q in insight.quotes):
                return k
        before = [(max(q.start for q in i.quotes if q.start <= sentence.start), k) for k, i in enumerate(themes)
                  if any(q.start <= sentence.start for q in i.quotes)]
        return max(before)[1] if before else None

    groups: dict[int | None, list[Sentence]] = {}
    for sentence in lines:
        groups.setdefault(theme_of(sentence), []).append(sentence)
    ordered = sorted(groups.items(), key=lambda item: min(s.start for s in item[1]))
    line = {id(s): n for n, s in enumerate(lines, start=1)}
    return tuple(SummarySection(themes[k].title if k is not None else words["opening"], None, "",
                                tuple(_said(s, language, line[id(s)]) for s in group)) for k, group in ordered)
