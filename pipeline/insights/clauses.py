"""Clause rules for action points: the finite verb of a clause, its subject, and whether the two make a commitment.

There is no offline Dutch parser, so the rules lean on word order. Dutch main clauses are verb-second: one
constituent, then the finite verb, then the subject when it did not come first ("Daarna stuurt Joris het verslag":
the subject is Joris, not "Daarna"); a subordinate clause ("dat hij morgen belt") has its verb last and never commits
on its own. English is subject-verb: the subject stands right before the auxiliary ("Priya will book", "I'm
sending"). A clause commits when its subject is the speaker, the group or a named person and its verb is a task verb
in the present tense (Dutch uses it for the future: "ik bel morgen"), or a future/obligation auxiliary with a task
verb ("ik moet morgen de school bellen", "I have to call her tomorrow"). The word lists are in the `[actions]`
section of `lexicons/<language>.toml`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.core.language import text_language
from pipeline.insights.nlp import lexicon

_WORD = re.compile(r"[^\W\d_](?:[^\W_]|[-])*|'[a-z]+|\d+|[,;:]")
_DETERMINERS = {"nl": {"de", "het", "een", "die", "dat", "deze", "dit", "mijn", "je", "jouw", "zijn", "haar", "ons",
                       "onze", "jullie", "hun", "elk", "elke", "geen"},
                "en": {"the", "a", "an", "my", "your", "his", "her", "our", "their", "this", "that", "no", "each"}}
_REACH = 3  # English: the task verb within this many words of its auxiliary ("I'll just quickly send")
_SPLIT = {"nl": {"en", "maar", "want", "dus"}, "en": {"and", "but", "so"}}


@dataclass(frozen=True)
class Token:
    text: str  # as written
    low: str  # lower case, apostrophes normalised
    start: int  # offset in the sentence


@dataclass(frozen=True)
class Commitment:
    """Who commits in a clause and the clause's span in its sentence."""

    who: str  # "speaker", "group", "addressee" or "name"
    name: str | None  # the name as written, for who == "name"
    start: int
    end: int


@dataclass(frozen=True)
class Rules:
    """One language's `[actions]` lexicon, compiled."""

    lang: str
    words: dict[str, frozenset[str]]
    finite: dict[str, str]  # finite form -> "future", "weak", "task" (or "ing", English)
    third_singular: frozenset[str]  # task verb forms that agree with one named person: "stuurt", "sends"
    infinitives: frozenset[str]
    need_particle: frozenset[str]
    patterns: dict[str, re.Pattern[str]]
    group_owner: str

    def matches(self, kind: str, text: str) -> bool:
        return bool(self.patterns[kind].search(text.lower().replace("’", "'")))


@functools.cache
def rules(language: str) -> Rules:
    """The compiled clause rules of the language (Dutch or English, by the one fallback rule)."""
    lang = text_language(language)
    data: dict[str, Any] = lexicon(lang)["actions"]
    words = {k: frozenset(data[k]) for k in ("first_person", "group", "second_person", "third_person", "openers",
                                                "subordinators", "conditional", "particles", "yes")}
    words["not_infinitive"] = frozenset(data.get("not_infinitive", ()))
    words["plain_future"] = frozenset(data.get("plain_future", ()))
    words["not_task_verbs"] = frozenset(data.get("not_task_verbs", ()))
    words["adverbs"] = frozenset(data.get("adverbs", ()))
    finite: dict[str, str] = {}
    infinitives: set[str] = set()
    third: set[str] = set()
    for entry in data["verbs"]:
        forms = _forms(entry, lang)
        third.add(forms[1])
        for form in forms[:-1] if lang == "nl" else forms[:2]:
            finite[form] = "task"
        infinitives.add(forms[-1] if lang == "nl" else forms[0])
        if lang == "en":
            finite[forms[2]] = "ing"
    if lang == "nl":  # the plural present is the infinitive: "we sturen"
        finite.update({_forms(e, lang)[-1]: "task" for e in data["verbs"]})
    for form in data["future"]:
        finite[form] = "weak" if form in data["weak_future"] else "future"
    patterns = {k: re.compile("|".join(data[k])) for k in ("expectation", "hypothetical", "past", "habitual",
                                                           "takeaway", "procedure", "request", "offer",
                                                           "hospitality", "immediate")}
    return Rules(lang, words, finite, frozenset(third), frozenset(infinitives),
                 frozenset(data.get("verbs_need_particle", ())), patterns, str(data["group_owner"]))


def _forms(entry: str, lang: str) -> list[str]:
    """A verb entry's forms: Dutch "bel belt bellen"; English "set up sets up setting up" (two-word forms)."""
    parts = entry.split()
    if lang == "nl" or len(parts) == 3:
        return parts
    size = len(parts) // 3
    return [" ".join(parts[i * size:(i + 1) * size]) for i in range(3)]


def tokens(text: str, lang: str) -> list[Token]:
    """Words and clause punctuation; English contractions are split ("I'll" -> "I", "'ll")."""
    found = []
    for match in _WORD.finditer(text.replace("’", "'")):
        word = match.group(0)
        found.append(Token(word, word.lower(), match.start()))
    if lang == "en":  # "let's" stays one word: it is the group's imperative
        merged: list[Token] = []
        for t in found:
            if t.low == "'s" and merged and merged[-1].low == "let":
                merged[-1] = Token(merged[-1].text + "'s", "let's", merged[-1].start)
            else:
                merged.append(t)
        found = merged
    return found


def clauses(toks: list[Token], lang: str) -> list[list[Token]]:
    """Tokens split at commas, semicolons and colons, and before a coordinating conjunction."""
    parts: list[list[Token]] = [[]]
    for t in toks:
        if t.low in {",", ";", ":"} or (t.low in _SPLIT[lang] and parts[-1]):
            parts.append([])
        if t.low not in {",", ";", ":"}:
            parts[-1].append(t)
    return [p for p in parts if p]


NameTest = Callable[[Token, bool], bool]  # (token, first word of the sentence) -> is it a person's name


def _subject(tok: Token, r: Rules, is_name: NameTest, first: bool) -> tuple[str, str | None] | None:
    w = r.words
    if tok.low in w["first_person"]:
        return "speaker", None
    if tok.low in w["group"]:
        return "group", None
    if tok.low in w["second_person"]:
        return "addressee", None
    if tok.low in w["third_person"]:
        return "other", None
    if is_name(tok, first):
        return "name", tok.text
    return None


def _task_after(rest: list[Token], r: Rules) -> bool:
    """A task infinitive (Dutch, with or without separable prefix) or base form (English) in `rest`."""
    lows = [t.low for t in rest]
    joined = " ".join(lows)
    for inf in r.infinitives:
        if r.lang == "en":
            if re.search(r"(?:^| )" + re.escape(inf) + r"(?: |$)", joined):
                return True
            continue
        for low in lows:
            if low == inf or low == "te" + inf or (low.endswith(inf) and low[:-len(inf)] in r.words["particles"]):
                if inf in r.need_particle and low == inf:
                    continue
                return True
    return False


def commitment(text: str, lang: str, is_name: NameTest, has_due: Callable[[str], bool]) -> Commitment | None:
    """The first clause of `text` that commits its subject to a task, or None (see the module docstring)."""
    r = rules(lang)
    toks = tokens(text, r.lang)
    for clause in clauses(toks, r.lang):
        span = text[clause[0].start:clause[-1].start + len(clause[-1].text)]
        found = _dutch(clause, r, is_name, toks, has_due(span)) if r.lang == "nl" \
            else _english(clause, r, is_name, toks, has_due(span))
        if found is None:
            continue
        who, name, f = found
        kind = r.finite[f]
        if kind in {"weak", "ing"} and not has_due(span):
            continue
        if kind in {"task", "ing"} and r.matches("habitual", text):
            continue  # "Bijna-incidenten melden we wel, maar we praten er nooit over": a habit, not a plan
        if who == "group" and not has_due(span):
            continue  # "we sturen", "we have to check": without a day, how the group works or a wish, not a plan
        if kind == "task" and r.lang == "en" and not has_due(span):
            continue  # the English simple present is a habit or a fact unless a day comes with it
        if kind == "task" and who == "name" and f not in r.third_singular:
            continue  # "Next call is ...": a name takes "calls", "belt"; the bare form is no subject-verb pair
        if who == "other":
            return None  # a clause about someone else ("hij belt morgen") is not the speaker's commitment
        if who == "name" and _general(clause, f, r):
            continue  # "Feedback werkt als die concreet is": a capitalised noun and a condition, not a person's plan
        return Commitment(who, name, clause[0].start, clause[-1].start + len(clause[-1].text))
    return None


def _general(clause: list[Token], verb: str, r: Rules) -> bool:
    """A statement of how something works in general: its verb followed right away by a conditional subordinator
    ("werkt als", "helps when"), with the would-be name as the clause's first word."""
    lows = [t.low for t in clause]
    if verb not in lows:
        return False
    after = lows.index(verb) + 1
    return lows.index(verb) == 1 and after < len(lows) and lows[after] in r.words["conditional"]


def _dutch(clause: list[Token], r: Rules, is_name: NameTest, toks: list[Token],
           dated: bool = False) -> tuple[str, str | None, str] | None:
    i = 0
    while i < len(clause) - 1 and clause[i].low in r.words["openers"]:
        i += 1
    if clause[i].low in r.words["subordinators"]:
        return None
    for f in range(i, min(len(clause), i + 6)):
        low = clause[f].low
        if low in r.words["subordinators"] and f > i:
            return None
        if low not in r.finite or (f > 0 and clause[f - 1].low in _DETERMINERS["nl"]):
            continue
        rest = clause[f + 1:]
        if not _verb_ok(low, rest, r, dated):
            return None
        pre = clause[i:f]
        first = clause[i].start == toks[0].start
        strong = {"ik", "jij", "wij", "we", "hij"}
        subject = None
        if len(pre) == 1 and pre[0].low in strong:
            subject = _subject(pre[0], r, is_name, first)
        elif rest and (rest[0].low in strong | r.words["third_person"] | r.words["second_person"]
                       or is_name(rest[0], False)) and rest[0].low not in {"het", "dat", "dit", "die", "er"}:
            subject = _subject(rest[0], r, is_name, False)
        elif 1 <= len(pre) <= 2:
            subject = _subject(pre[0], r, is_name, first) if len(pre) == 1 or is_name(pre[1], False) else None
        if subject is None:
            return None
        return subject[0], subject[1], low
    return None


def _verb_ok(low: str, rest: list[Token], r: Rules, dated: bool = False) -> bool:
    """A future auxiliary needs a task infinitive after it, or, with a day in the clause, any infinitive at the
    clause's end, where Dutch puts it ("ik moet donderdag de teamleider spreken"); a particle verb needs its
    particle in the clause."""
    if r.finite[low] in {"future", "weak"}:
        return _task_after(rest, r) or (dated and len(rest) >= 2 and _infinitive(rest[-1].low, r))
    if low in r.need_particle:
        return any(t.low in r.words["particles"] for t in rest)
    return True


def _infinitive(word: str, r: Rules) -> bool:
    """A Dutch infinitive by its form: a verb stem and -en ("spreken", "regelen"), not a pronoun or plural-looking
    function word ("hen", "ergens"), nor a day or time word ("morgen", "vandaag" never end a task clause)."""
    return len(word) >= 5 and word.endswith("en") and word not in r.words["not_infinitive"]


def _english(clause: list[Token], r: Rules, is_name: NameTest, toks: list[Token],
             dated: bool = False) -> tuple[str, str | None, str] | None:
    lows = [t.low for t in clause]
    if lows[0] in r.words["subordinators"]:
        return None
    for s in range(len(clause)):
        if lows[s] == "let's":
            return ("group", None, "will") if _task_after(clause[s + 1:s + 1 + _REACH], r) else None
        subject = _subject(clause[s], r, is_name, clause[s].start == toks[0].start)
        if subject is None:
            continue
        after = " ".join(lows[s + 1:s + 4])
        for aux in sorted((a for a in r.finite if r.finite[a] in {"future", "weak"}), key=len, reverse=True):
            if after == aux or after.startswith(aux + " "):
                n = len(aux.split())
                rest = clause[s + 1 + n:s + 1 + n + _REACH]
                if aux in {"am", "'m", "is", "'s", "are", "'re"}:
                    going = 2 if " ".join(lows[s + 1 + n:s + 3 + n]) == "going to" else int(
                        s + 1 + n < len(lows) and lows[s + 1 + n] == "gonna")
                    if going and _task_after(clause[s + 1 + n + going:s + 1 + n + going + _REACH], r):
                        return subject[0], subject[1], "will"
                    ing = next((t.low for t in rest[:2] if r.finite.get(t.low) == "ing"), None)
                    return (subject[0], subject[1], ing) if ing else None
                if _task_after(rest, r):
                    return subject[0], subject[1], aux
                verb = next((t.low for t in clause[s + 1 + n:] if t.low not in r.words["adverbs"]), None)
                if dated and aux in r.words["plain_future"] and verb and verb.isalpha() \
                        and verb not in r.words["not_task_verbs"]:
                    # "I will interview two starters before our next meeting": a plain future with a day commits,
                    # whatever the verb (but "be", "have", "see" name no task)
                    return subject[0], subject[1], aux
                break  # "I'll I'll fix it": a later subject may still carry the task
        else:
            verb = lows[s + 1] if s + 1 < len(lows) else ""
            if r.finite.get(verb) == "task":
                return subject[0], subject[1], verb
    return None

