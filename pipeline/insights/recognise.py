"""Which method a case follows (the incident method, the "roddelmethode", a Balint group, a socratic dialogue, free
intervision), read from Frog's analysis of what the others do in the round after the questions (`insights.methods`
finds the round): whether the case-bringer is silent or takes part, whether the others talk to her (2nd person),
about what they themselves would do ("ik zou", "Hem naar Frank sturen."), or about her (her name, her pronoun); a
method the facilitator names settles it. Three thresholds, set between the tune set's methods."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pipeline.insights.methods import TOLD, Talk, _is, _say, _you, steering

if TYPE_CHECKING:
    from pipeline.analysis.types import Sentence as Parsed
    from pipeline.analysis.types import Token
    from pipeline.insights.nlp import Sentence

# A method named by the facilitator settles which it is (its own name, not its phrases).
_NAMED = {"balint": re.compile(r"\bbalint", re.IGNORECASE),
          "roddelmethode": re.compile(r"\broddel(?:methode|ronde)\b", re.IGNORECASE),
          "incident": re.compile(r"\bincident(?:en)?methode\b", re.IGNORECASE),
          "socratisch": re.compile(r"\bsocratisch", re.IGNORECASE)}

# Set between the tune set's methods (tests/data/insights/tune: two Balint groups, two of the roddelmethode, three
# incident methods, three socratic dialogues, and the free intervisions intervisie_docenten_nl,
# intervisie_hradviseurs_nl and tests/data/phases/intervisie_wijkteam_nl), read with the method's name blanked out,
# from the sentences of the others in the round (not the case-bringer's, not the facilitator's, who explains the
# step and tells her to listen in every method): the share that speak to the case-bringer (a full 2nd person or an
# imperative: free advice 0.12-0.27, the other methods 0.00-0.05), that say what the speaker would do ("ik zou", "ik
# had ... gebeld", an infinitival answer "Hem naar Frank sturen."; the incident method 0.20-0.30, the Balint groups,
# the roddelmethode and the socratic dialogues 0.02-0.11), and that speak of her (her name, her pronoun: the
# roddelmethode 0.36 and 0.38, the Balint groups 0.12, where the patient's pronoun comes more often, 0.19, and 0.23,
# where the patient's wife and the case-bringer are both "ze"). Each class has two or three conversations; left out
# one at a time, the thresholds (about halfway between the classes) still part them.
ADDRESSED = 0.08
WOULD = 0.15
ABOUT = 0.3


def recognise(talk: Talk, bringer: str, starts: dict[str, float]) -> tuple[str, str]:
    """Which method the case follows, and why: a method the facilitator names before the round ends; else what
    the others (not the case-bringer, not who steers the session) do in the round after the questions (its start to
    the reaction's, or to the closing's)."""
    turns = talk.turns
    sentences = [s for said in talk.sentences for s in said]
    lo = starts.get("advice")
    hi = starts.get("reaction", starts.get("closing"))
    ends = hi if hi is not None else max(t.end for t in turns.turns)
    for sentence in sentences:
        if sentence.start >= ends:
            break
        for method, pattern in _NAMED.items():
            if sentence.label != bringer and pattern.search(sentence.text):
                return method, _say("named", quote=sentence.text)
    if lo is None:
        return "vrij", _say("no_round_after")
    name = turns.name(bringer)
    first_name = re.compile(rf"\b{re.escape(name.split()[0])}\b")
    inside = [s for s in sentences if lo <= s.start < ends and s.parsed is not None]
    # the round is what the others say: the one who steers explains the step ("Jij staat op haar plek. Wat doe
    # jij?") and tells her to listen, whatever the method
    lead = talk.facilitator()
    others = [s for s in inside if s.label not in (bringer, lead)]
    if not others:
        return "vrij", _say("no_round_after")
    # silent: at most one short word of hers in the round ("Prima, ik schuif mijn stoel naar achteren")
    talk_runs = [r for r in talk.runs if lo <= r.start < ends]
    own = [r for r in talk_runs if r.speaker == bringer]
    takes_part = len(own) > 1 or any(r.words >= talk.median for r in own)
    addressed = sum(_addresses(s.parsed) for s in others) / len(others)  # type: ignore[arg-type]
    if addressed >= ADDRESSED:
        return "vrij", _say("addressed", name=name, share=f"{addressed:.0%}")
    if takes_part:
        return "socratisch", _say("socratisch", name=name)
    would = sum(_would(s.parsed) for s in others) / len(others)  # type: ignore[arg-type]
    if would >= WOULD:
        return "incident", _say("incident", name=name, share=f"{would:.0%}")
    gender = _gender_of(talk, bringer, first_name)
    about = sum(_about(s, first_name, gender) for s in others) / len(others)
    elsewhere = sum(_about(s, None, _OTHER.get(gender or "")) for s in others) / len(others) if gender else 0.0
    if about >= ABOUT and about >= TOLD * elsewhere:
        return "roddelmethode", _say("roddelmethode", name=name, share=f"{about:.0%}")
    return "balint", _say("balint", name=name)


_OTHER = {"fem": "masc", "masc": "fem"}


def _gender(token: Token) -> str | None:
    """fem or masc for a 3rd person singular pronoun (ze, zij, haar; hij, hem, zijn), else None."""
    if token.tag != "VNW" or not any(f in ("3", "3v", "3p") for f in token.tag_features) or "mv" in token.tag_features:
        return None
    if "fem" in token.tag_features or ("bez" in token.tag_features and token.text.lower() == "haar"):
        return "fem"
    if "masc" in token.tag_features or ("bez" in token.tag_features and token.text.lower() == "zijn"):
        return "masc"
    return None


def _named(sentence: Sentence, first_name: re.Pattern[str]) -> re.Match[str] | None:
    """Her name in the sentence, not as the one spoken to ("Femke, draai je om", "Dan ga jij, Marloes, ...")."""
    for found in first_name.finditer(sentence.text):
        before, after = sentence.text[:found.start()].rstrip(), sentence.text[found.end():].lstrip()
        if not (after.startswith(",") and (not before or before.endswith(","))):
            return found
    return None


def _gender_of(talk: Talk, bringer: str, first_name: re.Pattern[str]) -> str | None:
    """The case-bringer's pronoun as the others use it: the gendered 3rd person pronoun after her name in their
    sentences ("wat ik bij Femke zie, is dat ze ..."); a pronoun before the name is someone else ("dan belt hij
    Marloes"). None when they never do."""
    votes: dict[str, int] = {}
    for said in talk.sentences:
        for sentence in said:
            if sentence.label == bringer or sentence.parsed is None:
                continue
            found = _named(sentence, first_name)
            if found is None:
                continue
            offset = 0
            for token in sentence.parsed.tokens:
                at = sentence.text.find(token.text, offset)
                if at < 0:
                    continue
                offset = at + len(token.text)
                gender = _gender(token)
                if gender is not None and at > found.start():
                    votes[gender] = votes.get(gender, 0) + 1
    return max(votes, key=lambda g: votes[g]) if votes else None


def _about(sentence: Sentence, first_name: re.Pattern[str] | None, gender: str | None) -> bool:
    """The sentence speaks of someone by name or by a pronoun of that gender."""
    if first_name is not None and _named(sentence, first_name):
        return True
    return gender is not None and sentence.parsed is not None and any(_gender(t) == gender
                                                                      for t in sentence.parsed.tokens)


def _addresses(sentence: Parsed) -> bool:
    """The sentence speaks to someone: a full 2nd person singular pronoun (jij, jou, jouw: the reduced "je" is as
    often the generic "you", "dan bel je ook", and peers say "jij", not "u", which speaks to a client in quoted
    words), or an imperative."""
    return any(_you(t) and "vol" in t.tag_features and "2b" not in t.tag_features for t in sentence.tokens) \
        or steering(sentence) == "imperative"


def _would(sentence: Parsed) -> bool:
    """"ik zou ...", "wij zouden ...", "ik had eerst mijn teamleider gebeld": what the speaker would do or would have
    done (the conditional, or the past perfect, with a 1st person subject); or an infinitival main clause, what to
    do said without a subject ("Hem naar Frank sturen, bij de pomp.")."""
    tokens = sentence.tokens
    if not any(t.is_finite_verb for t in tokens) and any(_is(t, "WW", "inf") for t in tokens):
        return True
    for i, token in enumerate(tokens):
        if not (token.is_finite_verb and "verl" in token.tag_features
                and any(_is(tokens[j], "VNW", "pers", "1") for j in sentence.dependents(i, "su"))):
            continue
        if token.lemma == "zullen":
            return True
        if token.lemma == "hebben" and any(tokens[j].tag == "WW" and ("vd" in tokens[j].tag_features
                                                                       or "inf" in tokens[j].tag_features)
                                           for j in sentence.dependents(i, "vc")):
            return True
    return False
