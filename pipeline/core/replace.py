"""Find and replace in the transcript, kept as rules (`replacements.json`), never as frozen per-line corrections.

    {"rules": [{"find": "Fakima", "replace": "Fatima", "whole_word": true, "match_case": false,
                "made": "2026-12-07T17:30:00+01:00"}]}

The names stage applies the rules in order after the line corrections (`apply_rules`), so a rule also reaches the
lines of a later transcription. A line corrected by hand after a rule was made keeps its own text (the correction
was typed with the rule's result in view: it wins on that line); a rule made after a correction applies to it.

Matching is on whole words unless `whole_word` is off ("Fakima's" matches, "Fakimaatje" does not; a word is what
Python's `\\w` calls one, so "één" and "Zoë" are words); without `match_case` a match keeps its case pattern:
"fakima" -> "fatima", "Fakima" -> "Fatima", "FAKIMA" -> "FATIMA".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pipeline.core.errors import InputError
from pipeline.core.layers import correction_of, time_key
from pipeline.core.types import Turn, Turns

MAX_RULES = 200
MAX_FIND = 200


@dataclass(frozen=True)
class Rule:
    """One find-and-replace rule of replacements.json."""

    find: str
    replace: str
    whole_word: bool = True
    match_case: bool = False
    made: str = ""  # when it was made (ISO, seconds): a line corrected at or after this time keeps its own text

    def to_dict(self) -> dict[str, Any]:
        return {"find": self.find, "replace": self.replace, "whole_word": self.whole_word,
                "match_case": self.match_case, "made": self.made}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Rule:
        return cls(str(d.get("find", "")), str(d.get("replace", "")), bool(d.get("whole_word", True)),
                   bool(d.get("match_case", False)), str(d.get("made") or ""))


def new_rule(find: str, replacement: str, *, whole_word: bool = True, match_case: bool = False) -> Rule:
    """A rule as typed, checked: something to find, something to put in its place, and not the same text."""
    find, replacement = " ".join(find.split()), " ".join(replacement.split())
    if not find:
        raise InputError("give the word to find", "replace_no_find")
    if len(find) > MAX_FIND or len(replacement) > MAX_FIND:
        raise InputError(f"the text to find and its replacement may be {MAX_FIND} characters at most",
                         "replace_too_long", n=MAX_FIND)
    if not replacement:
        raise InputError(f"give what {find!r} should become (an empty replacement is not allowed)",
                         "replace_no_replacement", find=find)
    if find == replacement:
        raise InputError(f"{find!r} would be replaced by itself; type the right spelling", "replace_same",
                         find=find)
    return Rule(find, replacement, whole_word, match_case,
                dt.datetime.now().astimezone().isoformat(timespec="seconds"))


def _pattern(rule: Rule) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(part) for part in rule.find.split())  # a line break or two spaces still match
    if rule.whole_word:
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, 0 if rule.match_case else re.IGNORECASE)


def _cased(found: str, replacement: str) -> str:
    """The replacement in the case pattern of what was found: ALL CAPS, Capitalised or lower case; else as typed."""
    letters = [c for c in found if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return replacement.upper()
    if letters and all(c.islower() for c in letters):
        return replacement.lower()
    if letters and letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return replacement[:1].upper() + replacement[1:]
    return replacement


def replaced(text: str, rule: Rule) -> tuple[str, int]:
    """`text` with every match of `rule` replaced, and the number of matches."""
    first = rule.find.split()[0] if rule.find.split() else rule.find
    if (first not in text) if rule.match_case else (first.lower() not in text.lower()):
        return text, 0  # most lines do not have it: no regular expression for them

    def swap(match: re.Match[str]) -> str:
        return rule.replace if rule.match_case else _cased(match.group(0), rule.replace)

    return _pattern(rule).subn(swap, text)


def _when(stamp: Any) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.astimezone()


def line_text(heard: str, correction: Mapping[str, Any] | None, rules: Sequence[Rule]) -> str:
    """What one line says: the corrected text (else what was heard) with the rules made after the correction."""
    fixed = str(correction.get("text", "")).strip() if correction is not None else ""
    text = fixed or heard
    at = _when(correction.get("at")) if correction is not None and fixed else None
    for rule in rules:
        made = _when(rule.made)
        if at is not None and (made is None or at >= made):
            continue  # corrected by hand at or after the rule: the person's text wins on this line
        text = replaced(text, rule)[0]
    return text


def apply_rules(turns: Turns, rules: Sequence[Rule], corrections: Mapping[str, Mapping[str, Any]]) -> Turns:
    """Turns after `apply_corrections` with the rules applied (the names stage); the turns a rule changed are
    listed in turns.json's "replaced" (their `layers.time_key`) and "replaced_ids" (their ids)."""
    if not rules:
        return turns
    changed: list[Turn] = []
    keys: list[str] = []
    ids: list[str] = []
    for turn in turns.turns:
        text = line_text(turn.text, correction_of(corrections, turn), rules)
        if text != turn.text:
            keys.append(time_key(turn.start))
            ids.append(turn.id)
            turn = replace(turn, text=text)
        changed.append(turn)
    extra = {k: v for k, v in turns.extra.items() if k not in ("replaced", "replaced_ids")}
    return replace(turns, turns=tuple(changed),
                   extra={**extra, **({"replaced": keys, "replaced_ids": ids} if keys else {})})


@dataclass(frozen=True)
class ReplacedLine:
    """A transcript line a rule changes (the preview): its index in turns.json, time, speaker, before and after."""

    n: int
    start: float
    speaker: str
    before: str
    after: str
    id: str = ""  # the turn's id: where the line is after a split or merge renumbered the lines


def shown_texts(turns: Turns, base: Turns | None, corrections: Mapping[str, Mapping[str, Any]],
                rules: Sequence[Rule]) -> list[str]:
    """Every line of turns.json as the layers make it now (what the names stage will write), for the pages:
    `base` is diarization.json (what was heard); without it turns.json's text with its correction is all there is."""
    heard = {t.id: t.text for t in base.turns} if base is not None else {}
    out = []
    for turn in turns.turns:
        if turn.id in heard:
            out.append(line_text(heard[turn.id], correction_of(corrections, turn), rules))
        else:  # a turn the layers cannot rebuild: as written, with its correction
            correction = correction_of(corrections, turn)
            out.append(str(correction["text"]) if correction and str(correction.get("text", "")).strip()
                       else turn.text)
    return out


def preview(turns: Turns, base: Turns | None, corrections: Mapping[str, Mapping[str, Any]],
            rules: Sequence[Rule], rule: Rule) -> list[ReplacedLine]:
    """The lines `rule`, added after `rules`, would change, with their text before and after."""
    if base is None:
        return []
    before = shown_texts(turns, base, corrections, rules)
    made = _when(rule.made)
    found = []
    for n, (turn, old) in enumerate(zip(turns.turns, before, strict=True)):
        at = _when((correction_of(corrections, turn) or {}).get("at"))
        if at is not None and made is not None and at >= made:
            continue  # corrected at or after the rule: the line keeps its text (as in `line_text`)
        new = replaced(old, rule)[0]
        if new != old:
            found.append(ReplacedLine(n, turn.start, turns.name(turn.speaker), old, new, turn.id))
    return found
