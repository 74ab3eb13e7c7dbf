"""A session's texts in their shareable form: third parties -> labels, participants kept, initialled or labelled.

`prepare_shared` (the draft stage) runs the detector over the conversation, adds what it finds to pseudonyms.json
and returns a `Shared`; `load_shared` (`oogst collect`, `oogst mail`) reads the same mapping back without
detecting again. A `Shared` replaces every spelling in the mapping (case-insensitive, a capital where the name has
one, with the Dutch pet-form and possessive endings: "Timmetje", "Tims"), and e-mail addresses, URLs, phone
numbers and birth dates found by the rules in any text, also text written later (comments, rewordings).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.core.session import ANALYSIS, INSIGHTS, PSEUDONYMS, TURNS, Session
from pipeline.core.stages import Extension, RunContext
from pipeline.core.types import Action, Insight, Insights, Quote, SummarySection, Turns
from pipeline.privacy.detect import Detector, RuleDetector, Span, resolve
from pipeline.privacy.mapping import (
    NUMBERED,
    PARTICLES,
    TITLES,
    Entity,
    Pseudonyms,
    fold,
    label,
    name_tokens,
    protected_names,
    session_choice,
)

log = logging.getLogger(__name__)

# An article or determiner before a lower-case word: a common noun, not the name spelt the same ("de roos")
_COMMON_NOUN_BEFORE = re.compile(r"(?i)(?<!\w)(?:de|het|een|deze|dit|elke|geen|the|a|an|this|every)"
                                 r"\s+$")
_GENERIC_SPEAKER = re.compile(r"(?i)^(?:spreker|speaker|s)\s*\d+$")
_ENDING = r"(?P<end>(?:[bcdfghjklmnpqrstvwxz]?(?:je|tje|pje|kje|etje|ie|y|ke))?(?:['\u2019]s|['\u2019]|s)?)"


def name_parts(name: str) -> list[str]:
    """The parts of a full name that are used alone: "Tim de Vries" -> ["Tim", "de Vries"]; titles left out."""
    words = [w for w in name.split() if w.lower().rstrip(".") not in TITLES]
    if len(words) < 2:
        return words if len(words) < len(name.split()) else []
    first = 1
    while first < len(words) - 1 and words[first].lower() not in PARTICLES:
        first += 1
    tail = words[first:] if words[first].lower() in PARTICLES else words[-1:]
    return [w for w in (words[0], " ".join(tail)) if len(w) > 1 and w.lower() not in PARTICLES]


def _capitalised(text: str) -> str:
    """Every word with a capital, same length (offsets stay valid)."""
    return re.sub(r"\b\w", lambda m: m.group().upper() if len(m.group().upper()) == 1 else m.group(), text)


def _initial(name: str) -> str:
    """The letter whose case tells a name from a word: the first, after an old genitive ("'s Koningshof")."""
    return re.sub(r"^['\u2019][st][\s-]+", "", name)[:1]


@dataclass(frozen=True)
class _Name:
    replacement: str
    person: bool
    lower_ok: bool  # the name itself starts in lower case ("van Dijk"), so a lower-case match counts


def participant_names(turns: Turns | None, insights: Insights | None = None) -> list[str]:
    """Participants' display names in order: the speakers, then anyone named only in the insights."""
    names: list[str] = []
    if turns is not None:
        names += [turns.name(t.speaker) for t in turns.turns] + [n or k for k, n in turns.speakers.items()]
    if insights is not None:
        names += [s for i in insights.insights for s in i.speakers]
    return [n for i, n in enumerate(names) if n and n not in names[:i] and not _GENERIC_SPEAKER.match(n)]


def _initials(name: str) -> str:
    parts = name.split()
    letters = [p[0].lower() if p.lower() in PARTICLES else p[0].upper() for p in parts if p]
    return "".join(letters) if len(letters) > 1 else f"{letters[0]}." if letters else name


def participant_map(names: Sequence[str], mode: str, language: str) -> dict[str, str]:
    """Display name -> what the shared documents show: itself, initials ("SdV") or a label ("[Deelnemer 1]")."""
    if mode == "keep":
        return {n: n for n in names}
    if mode == "labels":
        return {n: label("participant", i, language) for i, n in enumerate(names, start=1)}
    out: dict[str, str] = {}
    for name in names:
        short = _initials(name)
        if short in out.values():
            first = name.split()[0]
            short = first[:2].capitalize() + short[1:]
        count = 2
        base = short
        while short in out.values():
            short, count = f"{base}{count}", count + 1
        out[name] = short
    return out


class Shared:
    """Replaces third parties (and, when asked, participants) in any text of one session."""

    def __init__(self, pseudonyms: Pseudonyms, language: str, participants: Sequence[str]) -> None:
        self.pseudonyms = pseudonyms
        self.language = language
        self.mode = pseudonyms.participants or "keep"
        self.rules = RuleDetector(language)
        self.participants = list(participants)
        self.people = participant_map(list(participants), self.mode, language)
        protected = self.protected_names(participants) if self.mode == "keep" else set()
        names: dict[str, _Name] = {}
        spellings: set[str] = set()
        if self.mode != "keep":  # participants first: their initials or labels win over a third party's label
            for full, shown in self.people.items():
                for variant in {full, full.split()[0]}:
                    names.setdefault(fold(variant), _Name(shown, True, variant[:1].islower()))
                    spellings.add(variant)
        for implied in (False, True):  # the names as given first, then the parts of full names ("Tim", "de Vries")
            for entity in pseudonyms.entities:
                text = label(entity.kind, entity.number, language)
                given = entity.names if not implied else [p for n in entity.names for p in name_parts(n)] \
                    if entity.kind == "person" else []
                for name in given:
                    if not fold(name) or fold(name) in protected or pseudonyms.is_unhidden(name):
                        continue
                    known = names.get(fold(name))
                    if known is None:
                        names[fold(name)] = _Name(text, entity.kind == "person", name[:1].islower())
                        spellings.add(name)
                    elif name[:1].islower() and not known.lower_ok and known.replacement == text:
                        names[fold(name)] = replace(known, lower_ok=True)  # "bram" said as well as "Bram"
        self.names = names
        pattern = "|".join(r"\s+".join(re.escape(w) for w in s.split()) for s in sorted(spellings, key=len,
                                                                                          reverse=True))
        self.pattern = re.compile(rf"(?<![\w@.])(?P<name>{pattern}){_ENDING}(?!\w)", re.IGNORECASE) if pattern \
            else None

    @staticmethod
    def protected_names(participants: Iterable[str]) -> set[str]:
        """Participants' names and their name parts: never taken for a third party (mode "keep")."""
        return protected_names(participants)

    def _spans(self, text: str) -> list[Span]:
        spans = [Span(s.start, s.end, s.kind, label(s.kind, 0, self.language)) for s in self.rules.contacts(text)]
        if self.pattern is not None:
            for m in self.pattern.finditer(text):
                found = self.names.get(fold(m.group("name")))
                initial = _initial(m.group("name"))
                if found is None or not (initial.isupper() or found.lower_ok):
                    continue
                if initial.islower() and found.person and _COMMON_NOUN_BEFORE.search(text[:m.start()]):
                    continue  # "de roos", "the rose": a name said in lower case, here a common noun (a school, a
                    # place or an organisation may have its article: "op de ichthus", "in de schilderswijk")
                possessive = m.group("end").endswith(("s", "'", "\u2019")) and not m.group("end").endswith("ies")
                shown = found.replacement + ("'s" if possessive and found.person else "")
                end = m.end() if found.person else m.end("name")
                spans.append(Span(m.start(), end, "name", shown))
        return resolve(spans)

    def text(self, text: str, *, any_case: bool = False) -> str:
        """`text` with every known third party (and contact detail) replaced by its label.

        Args:
            any_case: also lower-case spellings and names between underscores: for titles and session names
                taken from a file name ("2025-03-04_casus_tim").
        """
        if not text:
            return text
        out, pos = [], 0
        scanned = _capitalised(text.replace("_", " ")) if any_case else text
        for span in self._spans(scanned):
            out += [text[pos:span.start], span.text]
            pos = span.end
        out.append(text[pos:])
        return "".join(out)

    def name(self, name: str | None) -> str | None:
        """A participant's display name as the shared documents show it."""
        if name is None:
            return None
        return self.people.get(name) or self.text(name)

    def learn(self, texts: Sequence[str], also_people: Sequence[str] = ()) -> Shared:
        """Texts written after the draft (rewordings, proposals): names the rules find in them join the mapping
        (saved), so final.docx and the mail hide them too. `also_people` (the reviewers) are never taken for a
        third party. Only the rules run here: deduce's start-up is not worth a few sentences."""
        people = self.participants + [p for p in also_people if p not in self.participants]
        added = _detect_all(self.rules, [t for t in texts if t], self.pseudonyms, self.protected_names(people))
        if not added:
            return self
        self.pseudonyms.save(self.language)
        log.info("pseudonymise: %d new entities in the review's own texts", added)
        return Shared(self.pseudonyms, self.language, self.participants)

    # -- artefacts ---------------------------------------------------------------------------------------------
    def turns(self, turns: Turns) -> Turns:
        speakers = {label_: self.name(n) or n for label_, n in turns.speakers.items()}
        return replace(turns, speakers=speakers,
                       turns=tuple(replace(t, text=self.text(t.text)) for t in turns.turns))

    def _quote(self, quote: Quote) -> Quote:
        return replace(quote, speaker=self.name(quote.speaker) or quote.speaker, text=self.text(quote.text))

    def _insight(self, insight: Insight) -> Insight:
        return replace(insight, title=self.text(insight.title), text=self.text(insight.text),
                       speakers=tuple(self.name(s) or s for s in insight.speakers),
                       quotes=tuple(self._quote(q) for q in insight.quotes))

    def _action(self, action: Action) -> Action:
        owner = self.name(action.owner) if action.owner else action.owner
        return replace(action, owner=owner, text=self.text(action.text),
                       due=self.text(action.due) if action.due else action.due)

    def _section(self, section: SummarySection) -> SummarySection:
        said = tuple(replace(s, text=self.text(s.text), speaker=self.name(s.speaker) or s.speaker)
                     for s in section.sentences)
        return replace(section, heading=self.text(section.heading), lead=self.text(section.lead), sentences=said,
                       person=self.name(section.person) or section.person if section.person else "",
                       written=self.text(section.written) if section.written is not None else None)

    def insights(self, insights: Insights) -> Insights:
        """Summary (lines and paragraphs), top 7 (titles, texts, speakers, quotes) and actions in their shareable
        form."""
        sections = tuple(self._section(s) for s in insights.sections) if insights.sections is not None else None
        shared = replace(insights, summary=tuple(self.text(s) for s in insights.summary), sections=sections,
                         insights=tuple(self._insight(i) for i in insights.insights),
                         actions=tuple(self._action(a) for a in insights.actions))
        reviewers = insights.reviewers
        return shared if reviewers is None else shared.with_extra(reviewers=[self.name(r) for r in reviewers])


# -- building and loading ------------------------------------------------------------------------------------------
def _detect_all(detector: Detector, texts: Sequence[str], pseudonyms: Pseudonyms, protected: set[str]) -> int:
    """Add what the detector finds in `texts` to the mapping; new entities are numbered by first appearance."""
    batch = getattr(detector, "detect_texts", None)  # a detector that reads the session at once (Frog's)
    per_text = batch(texts) if batch is not None else [detector.detect(text) for text in texts]
    # a participant's name, also with a particle or a title ("van Bas", "mevrouw Jansen"), is not a third party
    found = [s for spans in per_text for s in spans if fold(s.text) not in protected
             and not _GENERIC_SPEAKER.match(s.text) and not (name_tokens(s.text) and all(
                 t in protected for t in name_tokens(s.text)))]
    order: dict[str, int] = {}
    for span in found:
        order.setdefault(fold(span.text), len(order))
    # a spelling in lower case is kept apart: the shared texts then replace the name in lower case too ("bram")
    unique = {(fold(s.text), s.kind, s.text[:1].islower()): s for s in reversed(found)}
    before = {id(e) for e in pseudonyms.entities}
    # full names first, so "Tim" can join "Tim de Vries"
    for span in sorted(unique.values(), key=lambda s: (-len(name_tokens(s.text)), order[fold(s.text)])):
        pseudonyms.add_detected(span.text, span.kind)
    new = [e for e in pseudonyms.entities if id(e) not in before]
    for kind in NUMBERED:
        fresh = sorted((e for e in new if e.kind == kind), key=lambda e: min(order.get(fold(n), 10**9)
                                                                            for n in e.names))
        first = max((e.number for e in pseudonyms.entities if e.kind == kind and id(e) in before), default=0) + 1
        for number, entity in enumerate(fresh, start=first):
            entity.number = number
    return len(new)


TITLE_WORDS = frozenset("""casus sessie bijeenkomst overleg intervisie supervisie leernetwerk netwerk team teams
groep vergadering gesprek evaluatie opname deel case session meeting peer consultation group recording part
review reflection community practice""".split())


def _title_words(title: str, turns: Turns, pseudonyms: Pseudonyms, people: Sequence[str],
                 language: str) -> int:
    """A title made from a file name may hold a name nobody said: a word of it that is no ordinary word of the
    conversation (said in lower case), no stop word or meeting word, no participant and not already hidden
    becomes a "[Naam N]" entity. Errs on the side of hiding."""
    said = {w for t in turns.turns for w in re.findall(r"[^\W\d_]+", t.text) if w.islower()}
    stop = RuleDetector(language).stop
    protected = Shared.protected_names(people)
    added = 0
    for word in re.findall(r"[^\W\d_]{2,}", title):
        folded = word.lower()
        if folded in said or folded in stop or folded in TITLE_WORDS or fold(word) in protected \
                or pseudonyms.is_unhidden(word) \
                or any(folded in [t.lower() for t in n.split()] for e in pseudonyms.entities for n in e.names):
            continue
        pseudonyms.add_detected(word, "name")
        added += 1
    return added


def prepare_shared(session: Session, turns: Turns, insights: Insights, *, title: str, detector: Detector,
                   pseudonyms: Pseudonyms | None = None, title_from_file: bool = False) -> Shared:
    """Detect third parties in the session's conversation, record them in pseudonyms.json, and
    return the session's `Shared` (the draft stage).

    Args:
        title_from_file: the title (and the session name) come from the recording's file name, not from --title:
            its unknown words are hidden too (see `_title_words`).
    """
    pseudonyms = pseudonyms or Pseudonyms.load(session.path(PSEUDONYMS))
    people = participant_names(turns, insights)
    began = time.perf_counter()
    # the title and the session name are not searched (a title is all capitals: "Casus Tim" would be one name);
    # the names found in the conversation are replaced in them, in any case
    texts = [t.text for t in turns.turns] + [i.title for i in insights.insights]
    added = _detect_all(detector, texts, pseudonyms, Shared.protected_names(people))
    if title_from_file:
        added += _title_words(f"{title} {session.name.replace('_', ' ').replace('-', ' ')}", turns, pseudonyms,
                              people, insights.language)
    pseudonyms.save(insights.language)
    log.info("pseudonymise: %d new entities, %d in all, %.1f s (%s)", added, len(pseudonyms.entities),
             time.perf_counter() - began, detector.name)
    return Shared(pseudonyms, insights.language, people)


def load_shared(session: Session, language: str | None = None) -> Shared | None:
    """The session's `Shared` when it is pseudonymised (pseudonyms.json says so), else None."""
    path = session.path(PSEUDONYMS)
    if not path.is_file():
        return None
    pseudonyms = Pseudonyms.load(path)
    if not pseudonyms.enabled:
        return None
    turns = session.turns() if session.has(TURNS) else None
    insights = session.insights() if session.has(INSIGHTS) else None
    lang = language or (insights.language if insights is not None else "nl")
    return Shared(pseudonyms, lang, participant_names(turns, insights))


def detector_for(language: str, cache_dir: Path, analysis: dict[str, Any] | None = None) -> Detector:
    """Dutch: Frog's analysis (the session's `analysis`, else Frog on the texts it is given) + deduce + rules, or
    deduce + rules without Frog; every other language: the rules."""
    if language.lower().startswith("nl"):
        from pipeline.analysis.frog import choose
        from pipeline.privacy.detect import DeduceDetector

        base = DeduceDetector(cache_dir / "deduce", language)
        frog, _engine = choose(language)
        if frog is None and not analysis:
            return base
        from pipeline.privacy.names import FrogDetector

        return FrogDetector(base, analysis, frog)
    return RuleDetector(language)


def session_analysis(session: Session) -> dict[str, Any] | None:
    """The session's Frog analysis per text key (analysis.json), or None when the rules read it."""
    from pipeline.analysis.types import from_dict

    data = session.read_if(ANALYSIS)
    return (from_dict(data) or None) if isinstance(data, dict) else None


# part of the draft's key when pseudonymised: raise it when detection changes
DETECTOR_VERSION = "frog-names-3+deduce-3.0.6+rules-4"


class PrivacyPlug(Extension):
    """Pseudonymisation at the runner's `draft.shared` point: the session's choice is recorded at the start
    (`--pseudonymise`, `--participants`), the draft shares labels for third parties, pseudonyms.json (the mapping)
    is part of the draft's key and one of its artefacts."""

    def __init__(self) -> None:
        self.pseudonyms: Pseudonyms | None = None

    def start(self, ctx: RunContext) -> None:
        settings = ctx.settings
        self.pseudonyms = session_choice(ctx.session.path(PSEUDONYMS), settings.pseudonymise, settings.participants,
                                         settings.language)

    def shared_key(self, ctx: RunContext) -> list[Any]:
        return [(self.pseudonyms.user_key(), DETECTOR_VERSION)] if self.pseudonyms is not None else []

    def shared_artefacts(self, ctx: RunContext) -> list[str]:
        return [PSEUDONYMS] if self.pseudonyms is not None else []

    def shared(self, ctx: RunContext, turns: Any, insights: Any) -> Shared | None:
        if self.pseudonyms is None:
            return None
        detector = detector_for(insights.language, ctx.settings.cache_dir or Path(".cache"),
                                session_analysis(ctx.session))
        return prepare_shared(ctx.session, turns, insights, title=ctx.title, detector=detector,
                              pseudonyms=self.pseudonyms, title_from_file=not ctx.title_given)


__all__ = ["DETECTOR_VERSION", "Entity", "PrivacyPlug", "Shared", "detector_for", "load_shared", "participant_map",
           "participant_names", "prepare_shared"]
