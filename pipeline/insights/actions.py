"""Action points ("wie doet wat, wanneer"): first-person commitments and tasks assigned to a named person.

Rule-based and explainable: a sentence is an action when it commits its speaker ("ik bel de vader dinsdag terug",
"I'll call his mother next Tuesday") or names the person who will do it ("Joris stuurt voor vrijdag het protocol"),
and it is not a question, a hypothetical ("als ik het terugvind, zou ik...") or about the past ("ik heb vorige week
gebeld"). The owner is a display name; `due` is the time expression as spoken, or None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.core.language import MONTHS, WEEKDAYS, text_language
from pipeline.core.types import Action
from pipeline.insights.lexicon import lexicon
from pipeline.insights.nlp import PROCEDURAL, SMALL_TALK, Sentence


def _due_pattern(language: str) -> re.Pattern[str]:
    """Due expressions of the language, from its lexicon data, with weekday, month and number filled in."""
    data = lexicon(language)["due"]
    fill = {"weekday": "(?:" + "|".join(WEEKDAYS[language]) + ")" + data["day_part"],
            "month": "(?:" + "|".join(m.lower() for m in MONTHS[language]) + ")", "number": data["number"]}
    parts = [part.replace("{weekday}", fill["weekday"]).replace("{month}", fill["month"])
             .replace("{number}", fill["number"]) for part in data["patterns"]]
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


DUE = {language: _due_pattern(language) for language in ("nl", "en")}

# Verbs that make a sentence concrete enough to be a task even without a date (1st, 3rd person and infinitive).
_CONCRETE_NL = (r"bel|belt|bellen|stuur|stuurt|sturen|mail|mailt|mailen|plan|plant|plannen|zet|zetten|deel|deelt|"
                r"delen|regel|regelt|regelen|organiseer|organiseert|organiseren|zoek|zoekt|zoeken|check|checkt|"
                r"vraag|vraagt|vragen|schrijf|schrijft|schrijven|lever|levert|leveren|nodig|nodigt|nodigen|"
                r"maak|maakt|maken|breng|brengt|brengen|leg|legt|leggen|neem|neemt|nemen|pak|pakt|pakken|"
                r"informeer|informeert|informeren|bespreek|bespreekt|bespreken|agendeer|agendeert|agenderen|"
                r"verstuur|verstuurt|versturen|boek|boekt|boeken|reserveer|reserveert|reserveren|print|print|"
                r"lees|leest|lezen|werk|werkt|uitwerken|spreek|spreekt|spreken|doe|doet|doen|ga|gaat|gaan|"
                r"zal|zorg|zorgt|zorgen|stel|stelt|opstellen|overleg|overlegt|overleggen")
_COMMIT_VERBS_NL = _CONCRETE_NL
_FIRST_NL = re.compile(r"\bik (?:ga |zal |wil )?(?:" + _COMMIT_VERBS_NL + r")\b|\b(?:" + _COMMIT_VERBS_NL
                       + r") ik\b", re.IGNORECASE)
_GENERAL_NL = re.compile(r"\b(?:ik ga|ga ik|ik zal|zal ik|ik zorg|zorg ik)\b", re.IGNORECASE)
_VAGUE_NL = re.compile(r"\b(?:ga|zal) (?:ik )?(?:dat|het)? ?(?:zelf )?(?:ook )?(?:meer |anders |vaker )?doen\b|"
                       r"\bneem (?:ik )?(?:\w+ )?mee dat\b|\bik neem mee\b|\bneem ik mee\b", re.IGNORECASE)
_NOT_NOW_NL = re.compile(
    r"\b(?:zou|zouden|zou ik|als ik|als we|als je|als hij|als ze|mocht|misschien|wellicht|eventueel|"
    r"vorige week|gisteren|afgelopen|vanochtend al|al gedaan|ooit|vroeger|toen)\b|"
    r"\b(?:heb|hebt|heeft|hebben|had|hadden|ben|is|was|waren)\b(?:\s+\w+){0,6}\s+ge\w+(?:d|t|en)\b|"
    r"\b(?:zeggen|zegt|zei|zeg):", re.IGNORECASE)
_THIRD_NL = r"(?:" + _CONCRETE_NL + r")"

_CONCRETE_EN = (r"call|calls|send|sends|email|emails|mail|mails|share|shares|plan|plans|schedule|schedules|"
                r"book|books|set up|sets up|organise|organises|organize|organizes|write|writes|check|checks|ask|"
                r"asks|put|puts|draft|drafts|prepare|prepares|contact|contacts|invite|invites|"
                r"arrange|arranges|look up|looks up|talk to|talks to|meet|meets|circulate|circulates|forward|"
                r"forwards|read|reads|do|does|find|finds|follow up|follows up")
_FIRST_EN = re.compile(r"\b(?:i'll|i will|i'm going to|i am going to|i'm gonna|i shall)\b|\bi (?:" + _CONCRETE_EN
                       + r")\b", re.IGNORECASE)
_VAGUE_EN = re.compile(r"\b(?:i'll|i will) (?:do that|remember|try|keep|think|take that)\b", re.IGNORECASE)
_NOT_NOW_EN = re.compile(
    r"\b(?:would|could|might|maybe|perhaps|if i|if we|if you|last week|yesterday|already|ago|used to|"
    r"i've|i have|i had|i was|we were|we had)\b|\b(?:say|said|tell him|tell her):", re.IGNORECASE)


def _owner_patterns(names: Iterable[str], language: str) -> list[re.Pattern[str]]:
    known = sorted({n for n in names if n and n[0].isalpha()}, key=len, reverse=True)
    name = r"(?P<name>" + "|".join([re.escape(n) for n in known] + [r"[A-Z][a-zà-ÿ]+(?: [A-Z][a-zà-ÿ]+)?"]) + r")"
    if language == "nl":
        verbs = r"(?:" + _THIRD_NL + r")"
        return [re.compile(r"(?:^|[,.:;]\s+|\b(?:dan|en|dus|morgen|straks) )" + name + r",?\s+(?:jij\s+)?"
                           + r"(?:gaat\s+|zal\s+)?" + verbs + r"\b"), re.compile(r"\b" + verbs + r" " + name + r"\b")]
    verbs = r"(?:will|'ll|is going to|(?:" + _CONCRETE_EN + r"))"
    return [re.compile(r"(?:^|[,.:;]\s+|\b(?:then|and|so) )" + name + r"(?:,? you)?\s*" + verbs + r"\b")]


_NOT_A_NAME = {"ik", "je", "jij", "we", "wij", "hij", "zij", "ze", "dan", "dat", "dit", "die", "het", "de", "een",
               "en", "maar", "dus", "ja", "nee", "wat", "wie", "als", "i", "you", "he", "she", "they", "it",
               "then", "and", "so", "that", "this", "what", "who", "if", "yes", "no", "good", "right", "okay",
               "goed", "mooi", "oké", "graag", "iedereen", "everyone", "somebody", "iemand", "the", "our"}


def due_expression(text: str, language: str) -> str | None:
    """The first time expression in `text` as spoken ("voor vrijdag", "next Tuesday"), or None."""
    match = DUE[text_language(language)].search(text)
    return match.group(0) if match else None


def _clean(text: str, language: str) -> str:
    from pipeline.insights.nlp import clean_sentence

    return clean_sentence(text, language)


def _first_person(text: str, lang: str) -> bool:
    if lang == "nl":
        if _VAGUE_NL.search(text):
            return False
        return bool(_FIRST_NL.search(text) or _GENERAL_NL.search(text))
    return bool(_FIRST_EN.search(text)) and not _VAGUE_EN.search(text)


def _named_owner(text: str, patterns: list[re.Pattern[str]], known: set[str]) -> str | None:
    for match in (m for pattern in patterns for m in pattern.finditer(text)):
        name = match.group("name")
        if name.split()[0].lower() in _NOT_A_NAME or DUE["nl"].fullmatch(name) or DUE["en"].fullmatch(name):
            continue
        verb = match.group(0).split()[-1].lower()
        # An unknown capitalised word only counts as a person before a third-person verb ("Kees stuurt").
        if name in known or verb.endswith(("t", "s")) or verb in {"will", "'ll", "zal", "to"}:
            if name not in known and match.group(0).rstrip().lower().endswith(" ik"):
                continue
            return name
    return None


def extract_actions(sentences: list[Sentence], language: str, names: Iterable[str]) -> list[Action]:
    """Commitments and assigned tasks in conversation order; duplicates (same owner, same task) are kept once."""
    lang = text_language(language)
    known = {n for n in names if n}
    first_names = {n.split()[0]: n for n in known if n.split()}
    patterns = _owner_patterns(list(known) + list(first_names), lang)
    not_now = _NOT_NOW_NL if lang == "nl" else _NOT_NOW_EN
    actions: list[Action] = []
    for sentence in sentences:
        text = sentence.text
        if sentence.is_question or sentence.words < 4 or not_now.search(text) or PROCEDURAL[lang].search(text):
            continue
        due = due_expression(text, lang)
        owner: str | None = None
        named = _named_owner(text, patterns, known | set(first_names))
        if named and named != sentence.speaker and named != sentence.speaker.split()[0]:
            owner = first_names.get(named, named)
        elif _first_person(text, lang):
            owner = sentence.speaker
        elif named:
            owner = first_names.get(named, named)
        if owner is None:
            continue
        if due is None and (not _concrete(text, lang) or SMALL_TALK[lang].search(text)):
            continue
        action = Action(owner=owner, text=_clean(text, lang), due=due, start=round(sentence.start, 3))
        if not any(_same(action, other) for other in actions):
            actions.append(action)
    return actions


def _concrete(text: str, lang: str) -> bool:
    if lang == "nl":
        return bool(re.search(r"\b(?:" + _CONCRETE_NL.replace("|doe|doet|doen|ga|gaat|gaan|zal", "")
                              + r")\b", text, re.IGNORECASE))
    return bool(re.search(r"\b(?:" + _CONCRETE_EN.replace("|do|does", "") + r")\b", text, re.IGNORECASE))


def _same(a: Action, b: Action) -> bool:
    if a.owner != b.owner:
        return False
    wa, wb = set(re.findall(r"\w{4,}", a.text.lower())), set(re.findall(r"\w{4,}", b.text.lower()))
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) > 0.6
