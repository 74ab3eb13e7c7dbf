"""The phases of an intervision session (opening, casus, clarifying questions, advice round, the case-bringer's
reaction, closing round) with their time ranges, or the reason there are none.

Two kinds of evidence, both needed:
- procedural moves: whoever leads says what comes next ("dan gaan we nu over naar de verhelderende vragen", "let's
  close with a round: what are you taking away"); the phrases are data (`[phases]` in the lexicons). A turn naming
  three or more phases is the plan for the session ("eerst de casus, dan vragen, dan advies"), not a move. Moves are
  read in the order of the method: the longest chain of moves whose phases never go back wins, so a casus planned
  for next time after the closing round, or "wat neem je mee" in the plan, does not count;
- the turn-taking pattern of each phase: a casus is one person's long turns (the case-bringer holds at least half
  of the words); clarifying questions are questions from the others answered by the case-bringer; in the advice
  round the others speak and the case-bringer mostly listens; a reaction is the case-bringer talking again; a closing
  round reaches most of the group. A phase not announced is found from the pattern alone where the method makes it
  unambiguous (questions right after the casus, the case-bringer's reaction after the advice).
A conversation without a casus held by one person, or with a casus but neither questions nor advice, is no
intervision: "no phases found" with the reason, never forced phases.

When no move is heard (speech recognition garbles the procedural words: "dan gaan we naar de adviesronde" came out
as "dan plan me naar de art niet schonderd"), the phases are found from the turn-taking alone (`find_pattern` below),
only when the whole session follows the method, in order, with every part of it. Their evidence says
"patroon"/"pattern" and `phases_found_by` is "pattern" (else "cues"). Anything less is "no phases found" with the
reason of the cue path.

With Frog's analysis (Dutch) the phases come first from the turn-taking around the case-bringer and the moves the
analysis shows, whatever the method calls its steps (`insights.methods`, `phases_found_by` "analysis"), with the
method the group follows (`method`: balint, roddelmethode, incident, socratisch, vrij) and its own step names as the
labels; when that finds no case, or the cues find two, the reading above, with the method read the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pipeline.core.language import text_language, texts
from pipeline.core.types import PHASE_ORDER, Insight, Insights, Phase, PhaseResult, Turns
from pipeline.insights import methods, recognise
from pipeline.insights.nlp import lexicon, split_sentences

if TYPE_CHECKING:
    from pipeline.analysis.types import Sentence as Parsed

ORDER = PHASE_ORDER
PHASES_VERSION = "phases-6"  # part of the names stage's key: turns.json carries the phases; raise it when they change
NEXT_CASE_AFTER = ("advice", "reaction")  # a second casus in one session follows the first one's advice
CASE_PHASES = ("casus", "questions", "advice", "reaction")  # what belongs to one case
PLAN_PHASES = 3  # a turn naming this many phases lays out the session: a plan, not a move
MIN_OPENING = 15.0  # seconds before the casus that make an opening worth a row; less is a greeting
HOLDS_CASE = 0.5  # the case-bringer's share of the words in the casus (one person's long turns)
LONG_TURN = 30.0  # seconds: in a longer turn a move starts at its own sentence, not at the turn's start
_SENTENCE = re.compile(r"[^.?!]+[.?!]*")


@dataclass(frozen=True)
class _Move:
    phase: str
    time: float
    turn: int
    text: str


def _patterns(language: str) -> dict[str, re.Pattern[str]]:
    data = lexicon(language)["phases"]
    return {phase: re.compile("|".join(data[phase]), re.IGNORECASE) for phase in ORDER}


def without_cues(turns: Turns, language: str) -> Turns:
    """Every phrase the `[phases]` lists know replaced by "hm": the procedural words lost as garbled speech
    recognition loses them, the turn-taking kept (the bench and the tests try the turn-taking path with it)."""
    patterns = _patterns(language).values()

    def blank(text: str) -> str:
        for pattern in patterns:
            text = pattern.sub("hm", text)
        return text

    return replace(turns, turns=tuple(replace(t, text=blank(t.text)) for t in turns.turns))


def _moves(turns: Turns, language: str) -> list[_Move]:
    """Every sentence that opens a phase, plans excepted; a turn naming two phases keeps the earlier one."""
    patterns = _patterns(language)
    moves: list[_Move] = []
    for index, turn in enumerate(turns.turns):
        found: dict[str, _Move] = {}
        for match in _SENTENCE.finditer(turn.text):
            sentence = match.group().strip()
            for phase, pattern in patterns.items():
                if phase not in found and pattern.search(sentence):
                    long = turn.end - turn.start > LONG_TURN
                    at = turn.start + (turn.end - turn.start) * match.start() / max(len(turn.text), 1) if long \
                        else turn.start
                    found[phase] = _Move(phase, at, index, sentence)
        if len(found) >= PLAN_PHASES:
            continue
        if found:
            moves.append(min(found.values(), key=lambda m: ORDER.index(m.phase)))
    return moves


def _chain(moves: list[_Move]) -> list[tuple[int, _Move]]:
    """The longest run of moves in the method's order, as (case number, move): most distinct phases, then most
    moves. After an advice round or a reaction a new casus may start (a second case in one session)."""
    best: list[tuple[int, int, int, int]] = []  # per move: (distinct phases, moves, previous index, case)
    for i, move in enumerate(moves):
        rank = ORDER.index(move.phase)
        score = (1, 1, -1, 0)
        for j in range(i):
            earlier = moves[j]
            if ORDER.index(earlier.phase) <= rank:
                case, distinct = best[j][3], best[j][0] + (earlier.phase != move.phase)
            elif move.phase == "casus" and earlier.phase in NEXT_CASE_AFTER:
                case, distinct = best[j][3] + 1, best[j][0] + 1
            else:
                continue
            if (distinct, best[j][1] + 1) > score[:2]:
                score = (distinct, best[j][1] + 1, j, case)
        best.append(score)
    if not moves:
        return []
    end = max(range(len(moves)), key=lambda i: best[i][:2])
    chain = []
    while end >= 0:
        chain.append((best[end][3], moves[end]))
        end = best[end][2]
    return chain[::-1]


class _Talk:
    """Who says how much when: words per turn, for the turn-taking patterns."""

    def __init__(self, turns: Turns) -> None:
        self.turns = turns.turns
        self.words = [len(t.text.split()) for t in self.turns]

    def share(self, speaker: str, start: float, end: float) -> float:
        total = sum(w for t, w in zip(self.turns, self.words, strict=True) if start <= t.start < end)
        mine = sum(w for t, w in zip(self.turns, self.words, strict=True)
                   if start <= t.start < end and t.speaker == speaker)
        return mine / total if total else 0.0

    def most(self, start: float, end: float) -> str | None:
        count: dict[str, int] = {}
        for turn, words in zip(self.turns, self.words, strict=True):
            if start <= turn.start < end:
                count[turn.speaker] = count.get(turn.speaker, 0) + words
        return max(count, key=lambda s: count[s]) if count else None

    def speakers(self, start: float, end: float) -> set[str]:
        return {t.speaker for t in self.turns if start <= t.start < end}

    def first_question(self, bringer: str, start: float, end: float) -> int | None:
        """The first question someone else asks that the case-bringer answers right after (from the first turn
        after the case-bringer's last one before it)."""
        for i, turn in enumerate(self.turns[:-1]):
            if start < turn.start < end and turn.speaker != bringer and "?" in turn.text \
                    and self.turns[i + 1].speaker == bringer:
                while i > 0 and self.turns[i - 1].speaker != bringer and self.turns[i - 1].start > start:
                    i -= 1  # from the turn that took the floor from the case-bringer ("dank je, ...")
                return i
        return None

    def reaction(self, bringer: str, start: float, end: float) -> int | None:
        """The turn that starts the case-bringer's reaction: their first long turn after two others advised (from
        the question that invited it, when one did)."""
        others: set[str] = set()
        for i, turn in enumerate(self.turns):
            if not start <= turn.start < end:
                continue
            if turn.speaker != bringer:
                others.add(turn.speaker)
            elif len(others) >= 2 and self.words[i] >= REACTS:
                asked = i > 0 and self.turns[i - 1].speaker != bringer and self.turns[i - 1].text.rstrip()[-1:] == "?"
                return i - 1 if asked else i
        return None


Starts = dict[str, tuple[float, str]]  # phase -> (start, evidence)


def _case(talk: _Talk, turns: Turns, starts: Starts, finish: float, lang: str,
          closed: bool) -> tuple[str | None, str | None]:
    """Check one case's phases against the turn-taking and add the unannounced ones (in place): the case-bringer's
    display name, or None and the reason the case is none.

    Args:
        closed: a closing round was announced after this case (it counts as an announced move).
    """

    def until(phase: str) -> float:
        later = [t for p, (t, _) in starts.items() if ORDER.index(p) > ORDER.index(phase)]
        return min(later, default=finish)

    if "casus" not in starts:
        return None, texts(lang, "phase_evidence")["no_invite"]
    announced = len(starts) + closed
    casus_start = starts["casus"][0]
    bringer = talk.most(casus_start, until("casus"))
    if bringer is None or talk.share(bringer, casus_start, until("casus")) < HOLDS_CASE:
        return None, texts(lang, "phase_evidence")["nobody_holds"]
    name = turns.name(bringer)
    if "questions" not in starts:
        asked = talk.first_question(bringer, casus_start, until("questions"))
        if asked is not None:
            starts["questions"] = (turns.turns[asked].start,
                                   texts(lang, "phase_evidence")["answered"].format(name=name))
    if "advice" in starts and talk.share(bringer, starts["advice"][0], until("advice")) >= LISTENS:
        del starts["advice"]  # the case-bringer keeps talking: not an advice round
    if "reaction" not in starts and "advice" in starts:
        reacted = talk.reaction(bringer, starts["advice"][0], until("reaction"))
        if reacted is not None:
            starts["reaction"] = (turns.turns[reacted].start,
                                  texts(lang, "phase_evidence")["pattern_reaction"].format(name=name))
    if ("questions" not in starts and "advice" not in starts) or announced < 2:
        return None, texts(lang, "phase_evidence")["no_rounds"]
    return name, None


def detect_phases(turns: Turns, language: str, *, analysis: Mapping[str, list[Parsed]] | None = None) -> PhaseResult:
    """The intervision phases of a conversation, or none with the reason (a meeting, a community of practice).

    Args:
        analysis: Frog's sentences per turn text; with it (Dutch) the phases come from the turn-taking around the
            case-bringer and the moves Frog's analysis shows (`insights.methods`), with the method and its step
            names; without it, from the `[phases]` phrases and the turn-taking as before.
    """
    lang = text_language(language)
    words = texts(lang, "phase_evidence")
    no = words["none_found"]
    if not turns.turns:
        return PhaseResult((), no + words["no_turns"])
    by_cues = _by_cues(turns, lang, no)
    if analysis is None or lang != "nl":
        return replace(by_cues, method_reason=words["method_dutch_only"] if by_cues.found else None)
    talk = methods.Talk(turns, split_sentences(turns, lang, analysis))
    data = lexicon(lang)["phases"]
    structure, why = methods.find_case(talk, data["closing_lemmas"], _patterns(lang)["closing"])
    if structure is not None and len(by_cues.case_bringers) < 2:  # two announced cases: the cues' reading
        starts = dict(structure.starts)
        closing = starts.pop("closing", None)
        result = _result([starts], closing, (turns.name(structure.bringer),), turns.turns[0].start,
                         max(t.end for t in turns.turns), lang, "analysis")
    elif by_cues.found:
        result = by_cues
    else:
        return replace(by_cues, reason=no + why, method_reason=no + why)
    bringer = next((t.speaker for t in turns.turns if turns.name(t.speaker) == result.case_bringers[0]), None)
    first = {p.phase: p.start for p in result.phases if p.case in (None, 1)}
    method, reason = recognise.recognise(talk, bringer, first) if bringer is not None else ("vrij", "")
    if method in methods.STEPPED:
        names, generic = texts(lang, "method_steps"), texts(lang, "phases")
        result = replace(result, phases=tuple(
            replace(p, label=names[f"{method}_{p.phase}"] + p.label[len(generic[p.phase]):]) for p in result.phases))
    return replace(result, method=method, method_reason=reason)


def _by_cues(turns: Turns, lang: str, no: str) -> PhaseResult:
    """The phases from the `[phases]` phrases checked against the turn-taking, else from the turn-taking alone."""
    talk = _Talk(turns)
    begin, finish = turns.turns[0].start, max(t.end for t in turns.turns)
    cases: list[Starts] = []
    for number, move in _chain(_moves(turns, lang)):
        while len(cases) <= number:
            cases.append({})
        cases[number].setdefault(move.phase, (move.time, f"\u201c{move.text}\u201d"))
    cases = cases or [{}]
    cases[0].pop("opening", None)  # the opening is what comes before the casus; its cue only says there was one
    closing = cases[-1].pop("closing", None)  # the session's, after the last case
    if closing is not None and len(talk.speakers(closing[0], finish)) < REACHES * len(talk.speakers(begin, finish)):
        closing = None  # a prompt nobody answered in a round
    kept: list[Starts] = []
    bringers: list[str] = []
    for number, starts in enumerate(cases):
        end = cases[number + 1]["casus"][0] if number + 1 < len(cases) else closing[0] if closing else finish
        name, reason = _case(talk, turns, starts, end, lang, closing is not None and number == len(cases) - 1)
        if name is not None:
            kept.append(starts)
            bringers.append(name)
        elif not kept:
            return _by_pattern(turns, lang) or PhaseResult((), no + str(reason))
        else:  # no second case after all: what follows in the method's order goes on with the one before
            last = max(ORDER.index(p) for p in kept[-1])
            for phase, start in starts.items():
                if ORDER.index(phase) > last:
                    kept[-1].setdefault(phase, start)
    return _result(kept, closing, tuple(bringers), begin, finish, lang, "cues")


def _result(kept: list[Starts], closing: tuple[float, str] | None, bringers: tuple[str, ...], begin: float,
            finish: float, lang: str, found_by: str) -> PhaseResult:
    """The phases in time order, each until the next one starts (the last until the end), the opening added."""
    rows: list[tuple[float, str, str, int | None]] = []  # start, phase, evidence, case number
    for number, starts in enumerate(kept, start=1):
        rows += [(start, phase, why, number) for phase, (start, why) in starts.items()]
    first = kept[0]["casus"][0]
    if first - begin >= MIN_OPENING:
        rows.append((begin, "opening", texts(lang, "phase_evidence")["start_until_case"], None))
    if closing is not None:
        rows.append((closing[0], "closing", closing[1], None))
    rows.sort(key=lambda row: row[0])
    several = texts(lang, "phase_evidence")["several"] if len(kept) > 1 else ""
    labels = texts(lang, "phases")
    phases = [Phase(phase, labels[phase] + (several.format(n=case) if case else ""), start,
                    rows[i + 1][0] if i + 1 < len(rows) else finish, why, case)
              for i, (start, phase, why, case) in enumerate(rows)]
    return PhaseResult(tuple(p for p in phases if p.end > p.start), None, bringers, found_by)


def _by_pattern(turns: Turns, lang: str) -> PhaseResult | None:
    """The phases from the turn-taking alone (`find_pattern` below), each with the pattern as its evidence."""
    found = find_pattern(turns)
    if found is None:
        return None
    name = turns.name(found.bringer)
    words = texts(lang, "phase_evidence")
    why = {phase: words[f"pattern_{phase}"].format(name=name, told=found.told, asked=found.asked)
           for phase in ("casus", "questions", "advice", "reaction", "closing")}
    starts: Starts = {phase: (at, why[phase]) for phase, at in found.starts.items() if phase != "closing"}
    closing = (found.starts["closing"], why["closing"])
    return _result([starts], closing, (name,), turns.turns[0].start, max(t.end for t in turns.turns), lang,
                   "pattern")


def phase_at(phases: tuple[Phase, ...], seconds: float) -> str | None:
    """The phase a moment falls in (None outside every phase)."""
    for phase in phases:
        start, end = round(phase.start, 2), round(phase.end, 2)  # as turns.json has them
        if start <= seconds < end or (seconds == end and phase is phases[-1]):
            return phase.phase
    return None


def _seed_time(insight: Insight) -> float | None:
    """When the insight's own sentence was said: the quote it was made from, else its first quote."""
    words = set(re.findall(r"\w+", insight.text.lower()))
    best = max(insight.quotes, default=None,
               key=lambda q: len(words & set(re.findall(r"\w+", q.text.lower()))) / max(len(words), 1))
    return best.start if best is not None else None


def with_phases(insights: Insights, result: PhaseResult) -> Insights:
    """insights.json with the phases added and each insight carrying its `phase` (None outside any phase)."""
    tagged = []
    for insight in insights.insights:
        seed = _seed_time(insight)
        tagged.append(insight.mark(phase=phase_at(result.phases, seed) if seed is not None else None))
    return replace(insights, insights=tuple(tagged), phases=result)


def turns_with_phases(turns: Turns, language: str, *, analysis: Mapping[str, list[Parsed]] | None = None) -> Turns:
    """turns.json with the phases added (`phases`, `phases_found`, `phases_reason` or `case_bringers`).

    Args:
        analysis: Frog's sentences per turn text (`analysis.types.text_key`), None when the rules read Dutch.
    """
    return replace(turns, phases=detect_phases(turns, language, analysis=analysis))


def insights_with_phases(insights: Insights, turns: Turns) -> Insights:
    """insights.json with the phases of turns.json (found again if turns.json predates them); insights tagged."""
    result = turns.phases if turns.phases is not None else detect_phases(turns, insights.language)
    return with_phases(insights, result)


# -- the turn-taking alone, for when no procedural move is heard ----------------------------------------------------
# Only a whole session in the method's order counts: an opening; in the first third one person telling at length
# (the casus); optionally clarifying questions (short questions from two or more others, each answered by the
# case-bringer); an advice round (the others in turn, the case-bringer silent, longer turns than the questions); a
# long turn of the case-bringer after it is their reaction; a closing round at the end (most of the group once each,
# the case-bringer among them). Each of these phases is a real part of the session. The thresholds are the method's
# words ("half", "in turn", "every participant", "at the end"), not fitted to a conversation.
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
