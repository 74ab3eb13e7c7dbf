"""Action points ("wie doet wat, wanneer"): commitments found from the clause's finite verb and its subject.

A sentence is an action when one of its main clauses commits its subject to a task (`clauses.commitment`): "ik bel
de vader dinsdag terug" (the speaker), "Daarna stuurt Joris het verslag" (Joris), "we sturen het voor vrijdag" (the
whole group, owner "iedereen"/"everyone"), "ik moet morgen de school bellen", "I'm sending it next week". A request
("Kun jij ... ?", "Can you ... ?") answered with yes by the next speaker is the action of the one asked; an accepted
offer ("Zal ik ... ?" / "Graag.") the asker's, unless the asker says the commitment again right after. Not
actions: questions nobody accepted, expectations about others ("ik ga ervan uit dat hij belt"), the past,
hypotheticals, habits, takeaways ("dat neem ik mee") and meeting procedure ("X brengt een casus in").

The owner is a display name (or the group's word); `due` is the time expression as spoken, and `due_date` the ISO
day it names when the session date is known (`duedates.due_date`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from pipeline.core.language import MONTHS, WEEKDAYS, text_language
from pipeline.core.types import Action
from pipeline.insights.clauses import Rules, Token, commitment, rules
from pipeline.insights.duedates import DUE, due_date, due_expression
from pipeline.insights.nlp import Sentence

__all__ = ["DUE", "due_expression", "extract_actions"]

_LOOKBACK = 3  # sentences after an accepted offer in which the asker may restate it


def _clean(text: str, language: str) -> str:
    from pipeline.insights.nlp import clean_sentence

    return clean_sentence(text, language)


class _Names:
    """Is a capitalised word a person's name? Known speakers are; so is a capitalised word inside a sentence, and
    one at the start of a sentence unless the conversation also writes it in lower case ("Feedback werkt ...")."""

    def __init__(self, names: Iterable[str], sentences: list[Sentence], r: Rules) -> None:
        self.known = {n.split()[0].lower(): n for n in names if n and n.split()}
        self.lower = {w for s in sentences for w in re.findall(r"\b[a-zà-ÿ][\w-]*", s.text)}
        self.not_names = set().union(*r.words.values()) | {w.lower() for w in MONTHS[r.lang]} | set(WEEKDAYS[r.lang])

    def __call__(self, token: Token, first: bool) -> bool:
        if token.low in self.known:
            return True
        if not token.text[:1].isupper() or token.low in self.not_names or len(token.text) < 2 or token.low == "i":
            return False
        return not first or token.low not in self.lower

    def display(self, name: str) -> str:
        return self.known.get(name.lower(), name)


def extract_actions(sentences: list[Sentence], language: str, names: Iterable[str],
                    date: datetime.date | None = None) -> list[Action]:
    """Commitments and accepted requests in conversation order; duplicates (same owner, same task) kept once."""
    lang = text_language(language)
    r = rules(lang)
    is_name = _Names(names, sentences, r)
    actions: list[Action] = []
    for k, sentence in enumerate(sentences):
        found = _owner(k, sentences, r, is_name, lang)
        if found is None:
            continue
        owner, clause_start = found
        # The deadline of the commitment's own clause or what follows it: "Volgende keer is na de toetsweek, ik
        # zet het in de agenda" has none.
        due = due_expression(sentence.text[clause_start:], lang)
        if r.matches("hospitality", sentence.text):
            continue
        when = due_date(due, date, lang)
        action = Action(owner=owner, text=_clean(sentence.text, lang), due=due, start=round(sentence.start, 3),
                        due_date=when.isoformat() if when else None)
        if not any(_same(action, other) for other in actions):
            actions.append(action)
    return actions


def _excluded(text: str, r: Rules, lang: str) -> bool:
    return (r.matches("expectation", text) or r.matches("hypothetical", text) or r.matches("past", text)
            or r.matches("takeaway", text) or r.matches("procedure", text) or r.matches("immediate", text))


def _owner(k: int, sentences: list[Sentence], r: Rules, is_name: _Names, lang: str) -> tuple[str, int] | None:
    """The owner of the sentence's commitment and where its clause starts, or None."""
    sentence = sentences[k]
    text = sentence.text.strip()
    if sentence.words < 3 or _excluded(text, r, lang):
        return None
    if sentence.is_question:
        asked = _accepted(k, sentences, r, is_name)
        return (asked, 0) if asked else None

    def has_due(span: str) -> bool:
        return due_expression(span, lang) is not None

    found = commitment(text, lang, is_name, has_due)
    if found is None:
        return None
    if found.who == "speaker":
        return sentence.speaker, found.start
    if found.who == "group":
        return r.group_owner, found.start
    if found.who == "name" and found.name:
        named = is_name.display(found.name)
        return None if named == sentence.speaker else (named, found.start)
    vocative = re.match(r"\s*([A-ZÀ-Ý][\w-]+),", text)  # "Joris, jij belt de school"
    if found.who == "addressee" and vocative and is_name(Token(vocative.group(1), vocative.group(1).lower(), 0),
                                                         True):
        return is_name.display(vocative.group(1)), 0
    return None


def _accepted(k: int, sentences: list[Sentence], r: Rules, is_name: _Names) -> str | None:
    """The one asked when a request is answered with yes by the next speaker; the asker for an accepted offer."""
    sentence = sentences[k]
    low = sentence.text.strip().lower().replace("’", "'")
    request, offer = r.matches("request", low), r.matches("offer", low)
    if not (request or offer) or not _has_task(sentence.text, r):
        return None
    answer = next((s for s in sentences[k + 1:k + 3] if s.label != sentence.label), None)
    if answer is None or sentence.turn + 2 < answer.turn or not _is_yes(answer.text, r):
        return None
    if request:
        vocative = re.match(r"\s*([A-ZÀ-Ý][\w-]+),", sentence.text)
        if vocative and is_name(Token(vocative.group(1), vocative.group(1).lower(), 0), True):
            return is_name.display(vocative.group(1))
        return answer.speaker
    later = [s for s in sentences[k + 1:k + 1 + _LOOKBACK] if s.label == sentence.label]
    if any(commitment(s.text, r.lang, is_name, lambda span: True) for s in later):
        return None  # the asker says it again ("Dan stuur ik het je vanavond"): that sentence is the action
    return sentence.speaker


def _has_task(text: str, r: Rules) -> bool:
    words = re.findall(r"[\w']+", text.lower())
    particle_verb = (w for w in words for i in r.infinitives if w.endswith(i) and w[:-len(i)] in r.words["particles"])
    return any(w in r.infinitives or r.finite.get(w) in {"task", "ing"} for w in words) or any(particle_verb)


def _is_yes(text: str, r: Rules) -> bool:
    low = re.sub(r"[^\w' ]", " ", text.lower()).split()
    joined = " ".join(low)
    return any(joined == y or joined.startswith(y + " ") for y in r.words["yes"])


def _same(a: Action, b: Action) -> bool:
    if a.owner != b.owner:
        return False
    wa, wb = set(re.findall(r"\w{4,}", a.text.lower())), set(re.findall(r"\w{4,}", b.text.lower()))
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) > 0.6
