"""Intervision phases from the turn-taking alone, for when no procedural move is heard (speech recognition garbles
the words: "dan gaan we naar de adviesronde" came out as "dan plan me naar de art niet schonderd").

Only a whole session in the method's order counts: an opening; in the first third one person telling at length
(the casus); optionally clarifying questions (short questions from two or more others, each answered by the
case-bringer); an advice round (the others in turn, the case-bringer silent, longer turns than the questions); a
long turn of the case-bringer after it is their reaction; a closing round at the end (most of the group once each,
the case-bringer among them). Each of these phases is a real part of the session. The thresholds are the method's
words ("half", "in turn", "every participant", "at the end"), not fitted to a conversation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.core.types import Turns

LISTENS = 0.5  # in the advice round the case-bringer's share stays below this (the others speak)
REACTS = 30  # words: a turn of the case-bringer after the advice that long is their reaction
REACHES = 2 / 3  # a closing round reaches at least this share of the participants
BACKCHANNEL = 3  # words: a turn this short without a question ("ja", "hm hm") between two of one speaker's turns
EARLY = 1 / 3  # the casus begins in the first third of the session: after an opening, not instead of the session
TOLD = 2  # the casus is told at length: at least twice the session's median turn, and twice every question
TELLS = 30  # words: the least a casus is (a situation and a question take a few sentences; 30 words is ~13 s)
ROUNDS_LEFT = 3  # the closing round comes at the end: at most three rounds' worth of turns from its start
IN_TURN = 2  # the advice round goes round the others once: at most two runs per other (the lead speaks between)
PART = 1 / 20  # each phase is a real part of the session (a method gives each ~10-30 %), not a passing exchange
CORE = ("casus", "questions", "advice", "closing")  # the phases that must each be a real part


@dataclass(frozen=True)
class Found:
    """What the turn-taking shows: who brought the case in, how long they told it, how many questions they
    answered, and when each phase starts (the opening not among them)."""

    bringer: str  # speaker label
    told: int  # words of the casus
    asked: int  # questions answered
    starts: dict[str, float]  # phase -> start, in the method's order, "closing" last


def find_pattern(turns: Turns) -> Found | None:
    """The phases when the whole session follows the method (see the module's docstring); None when it does not."""
    runs = _runs(turns)
    people = len({r.speaker for r in runs})
    if people < 3 or len(runs) < 2 * people:
        return None  # a case-bringer and at least two others who advise and close
    begin, finish = turns.turns[0].start, max(t.end for t in turns.turns)
    median = sorted(r.words for r in runs)[len(runs) // 2]
    for casus, run in enumerate(runs):
        if run.start - begin > EARLY * (finish - begin):
            break
        if run.words < max(TELLS, TOLD * median):
            continue
        answers = _answers(runs, casus)
        for asked in range(len(answers), -1, -1):  # the most questions first; none is allowed, one is no round
            found = _pattern_case(runs, casus, answers[:asked], people, median) if asked != 1 else None
            if found is None:
                continue
            starts = {phase: runs[at].start for phase, at in found.items()} | {"casus": _handover(runs, casus)}
            times = sorted(starts.items(), key=lambda item: item[1]) + [("end", finish)]
            if all(b[1] - a[1] >= PART * (finish - begin) for a, b in zip(times, times[1:], strict=False)
                   if a[0] in CORE):
                return Found(run.speaker, run.words, asked, starts)
    return None


@dataclass(frozen=True)
class _Run:
    """Consecutive turns of one speaker: who has the floor, from when, with how many words."""

    speaker: str
    start: float
    words: int
    asks: bool  # its last sentence is a question
    last: float  # when its last turn starts


def _runs(turns: Turns) -> list[_Run]:
    """The floor changes: one speaker's consecutive turns are one run, and a backchannel ("ja", "hm hm") between
    two turns of one speaker does not take the floor."""
    runs: list[_Run] = []
    listed = [t for t in turns.turns if t.text.split()]
    for i, turn in enumerate(listed):
        words = len(turn.text.split())
        asks = turn.text.rstrip().endswith("?")
        if runs and turn.speaker != runs[-1].speaker and words <= BACKCHANNEL and "?" not in turn.text \
                and i + 1 < len(listed) and listed[i + 1].speaker == runs[-1].speaker:
            continue
        if runs and turn.speaker == runs[-1].speaker:
            runs[-1] = _Run(turn.speaker, runs[-1].start, runs[-1].words + words, asks, turn.start)
        else:
            runs.append(_Run(turn.speaker, turn.start, words, asks, turn.start))
    return runs


def _answers(runs: list[_Run], casus: int) -> list[int]:
    """The case-bringer's runs that answer a question, one after another from the casus on: each after at most
    two runs of others (a thank-you and the question, or a question and its follow-up)."""
    bringer, at = runs[casus].speaker, casus + 1
    found: list[int] = []
    while True:
        answer = next((j for j in range(at, min(at + 3, len(runs))) if runs[j].speaker == bringer), None)
        if answer is None or answer == at:
            return found
        found.append(answer)
        at = answer + 1


def _round(runs: list[_Run], bringer: str, k: int, people: int) -> list[_Run]:
    """The round that starts at run k (the runs until someone speaks a second time) when it reaches two thirds of
    the group, the case-bringer among them; else nothing."""
    seen: list[_Run] = []
    for run in runs[k:]:
        if run.speaker in {r.speaker for r in seen}:
            break
        seen.append(run)
    reached = len(seen) >= max(3, math.ceil(REACHES * people - 1e-9)) and bringer in {r.speaker for r in seen}
    return seen if reached else []


def _pattern_case(runs: list[_Run], casus: int, answers: list[int], people: int,
                  median: int) -> dict[str, int] | None:
    """The run each phase starts at, when the runs after the casus follow the method with these answers; None when
    they do not."""
    bringer = runs[casus].speaker
    told = runs[casus].words
    advice = (answers[-1] if answers else casus) + 1
    others = [r for r in runs[casus + 1:advice] if r.speaker != bringer]  # the questions
    if answers:
        asked = [j - 1 for j in answers]  # the run each answer follows
        replies = sum(runs[j].words for j in answers)
        if sum(runs[j].asks for j in asked) * 2 < len(asked) \
                or len({runs[j].speaker for j in asked}) < 2 \
                or replies < LISTENS * (replies + sum(r.words for r in others)) \
                or told < TOLD * max(r.words for r in runs[casus + 1:advice]):
            return None  # not questions: not asked, by one person, not answered at length, or as long as the casus
    back = next((j for j in range(advice, len(runs)) if runs[j].speaker == bringer), None)
    if back is None:
        return None
    # the advice round ends where the last round before the case-bringer speaks again starts (at the latest)
    closing = next((k for k in range(back, advice + 1, -1) if _round(runs, bringer, k, people)), None)
    if closing is None:
        return None
    starts = {"casus": casus} | ({"questions": casus + 1} if answers else {}) | {"advice": advice}
    after = [r.words for r in _round(runs, bringer, back + 1, people) if r.speaker != bringer]
    if closing == back and after and runs[back].words >= max(REACTS, TOLD * max(after)):
        starts["reaction"], closing = back, back + 1  # the case-bringer responds at length, then the round
    if len(runs) - closing > ROUNDS_LEFT * people:
        return None  # the round is not at the end
    advised = runs[advice:starts.get("reaction", closing)]
    if len({r.speaker for r in advised}) < max(2, REACHES * (people - 1)) or len(advised) > IN_TURN * (people - 1):
        return None  # not the others in turn
    mean = sum(r.words for r in advised) / len(advised)
    if mean < median or (others and mean <= sum(r.words for r in others) / len(others)):
        return None  # advice is given at some length, longer than the questions were asked
    return starts | {"closing": closing}


def _handover(runs: list[_Run], casus: int) -> float:
    """When the casus starts: when the case-bringer starts telling, or at the invitation (the last turn of the run
    before they took it up) when they took it up just before ("wie wil?" - "ik wil wel" - "vertel maar" - the
    casus)."""
    bringer = runs[casus].speaker
    took = next((j for j in range(casus - 2, max(casus - 4, 0), -1) if runs[j].speaker == bringer), None)
    return runs[took - 1].last if took is not None else runs[casus].start
