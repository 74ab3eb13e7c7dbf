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
as "dan plan me naar de art niet schonderd"), the phases are found from the turn-taking alone (`phase_pattern`),
only when the whole session follows the method, in order, with every part of it. Their evidence says
"patroon"/"pattern" and `phases_found_by` is "pattern" (else "cues"). Anything less is "no phases found" with the
reason of the cue path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pipeline.core.language import text_language
from pipeline.core.types import PHASE_ORDER, Insight, Insights, Phase, PhaseResult, Turns
from pipeline.insights.lexicon import lexicon
from pipeline.insights.phase_pattern import LISTENS, REACHES, REACTS, find_pattern

ORDER = PHASE_ORDER
PHASES_VERSION = "phases-3"  # part of the names stage's key: turns.json carries the phases; raise it when they change
LABELS = {
    "nl": {"opening": "Opening", "casus": "Casus ingebracht", "questions": "Verhelderende vragen",
           "advice": "Analyse en advies", "reaction": "Reactie inbrenger", "closing": "Afsluitende ronde"},
    "en": {"opening": "Opening", "casus": "Case brought in", "questions": "Clarifying questions",
           "advice": "Analysis and advice", "reaction": "Case-bringer responds", "closing": "Closing round"},
}
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
        return None, {"nl": "niemand nodigt uit een casus in te brengen",
                      "en": "nobody invites a case to be brought in"}[lang]
    announced = len(starts) + closed
    casus_start = starts["casus"][0]
    bringer = talk.most(casus_start, until("casus"))
    if bringer is None or talk.share(bringer, casus_start, until("casus")) < HOLDS_CASE:
        return None, {"nl": "na de uitnodiging voor een casus houdt niemand het woord",
                      "en": "after the invitation to bring a case nobody holds the floor"}[lang]
    name = turns.name(bringer)
    if "questions" not in starts:
        asked = talk.first_question(bringer, casus_start, until("questions"))
        if asked is not None:
            starts["questions"] = (turns.turns[asked].start, {
                "nl": f"patroon: vragen van anderen, beantwoord door {name}",
                "en": f"pattern: questions from others, answered by {name}"}[lang])
    if "advice" in starts and talk.share(bringer, starts["advice"][0], until("advice")) >= LISTENS:
        del starts["advice"]  # the case-bringer keeps talking: not an advice round
    if "reaction" not in starts and "advice" in starts:
        reacted = talk.reaction(bringer, starts["advice"][0], until("reaction"))
        if reacted is not None:
            starts["reaction"] = (turns.turns[reacted].start, {"nl": f"patroon: {name} reageert na de adviezen",
                                                               "en": f"pattern: {name} responds to the advice"}[lang])
    if ("questions" not in starts and "advice" not in starts) or announced < 2:
        return None, {"nl": "een casus, maar geen aangekondigde vragen of adviesronde",
                      "en": "a case, but no announced questions or advice round"}[lang]
    return name, None


def detect_phases(turns: Turns, language: str) -> PhaseResult:
    """The intervision phases of a conversation, or none with the reason (a meeting, a community of practice)."""
    lang = text_language(language)
    no = {"nl": "geen intervisiefasen gevonden: ", "en": "no intervision phases found: "}[lang]
    if not turns.turns:
        return PhaseResult((), no + {"nl": "geen beurten", "en": "no turns"}[lang])
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
        rows.append((begin, "opening", {"nl": "het begin, tot de casus", "en": "the start, until the case"}[lang],
                     None))
    if closing is not None:
        rows.append((closing[0], "closing", closing[1], None))
    rows.sort(key=lambda row: row[0])
    several = {"nl": " (casus {n})", "en": " (case {n})"}[lang] if len(kept) > 1 else ""
    phases = [Phase(phase, LABELS[lang][phase] + (several.format(n=case) if case else ""), start,
                    rows[i + 1][0] if i + 1 < len(rows) else finish, why, case)
              for i, (start, phase, why, case) in enumerate(rows)]
    return PhaseResult(tuple(p for p in phases if p.end > p.start), None, bringers, found_by)


def _by_pattern(turns: Turns, lang: str) -> PhaseResult | None:
    """The phases from the turn-taking alone (`phase_pattern`), each with the pattern as its evidence."""
    found = find_pattern(turns)
    if found is None:
        return None
    name = turns.name(found.bringer)
    why = {"casus": {"nl": f"patroon: {name} houdt het woord ({found.told} woorden)",
                     "en": f"pattern: {name} holds the floor ({found.told} words)"},
           "questions": {"nl": f"patroon: {found.asked} vragen van anderen, beantwoord door {name}",
                         "en": f"pattern: {found.asked} questions from others, answered by {name}"},
           "advice": {"nl": f"patroon: de anderen om de beurt, {name} zwijgt",
                      "en": f"pattern: the others in turn, {name} is silent"},
           "reaction": {"nl": f"patroon: {name} reageert na de adviezen",
                        "en": f"pattern: {name} responds to the advice"},
           "closing": {"nl": "patroon: een rondje langs de groep aan het eind",
                       "en": "pattern: a round of the group at the end"}}
    starts: Starts = {phase: (at, why[phase][lang]) for phase, at in found.starts.items() if phase != "closing"}
    closing = (found.starts["closing"], why["closing"][lang])
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


def turns_with_phases(turns: Turns, language: str) -> Turns:
    """turns.json with the phases added (`phases`, `phases_found`, `phases_reason` or `case_bringers`)."""
    return replace(turns, phases=detect_phases(turns, language))


def insights_with_phases(insights: Insights, turns: Turns) -> Insights:
    """insights.json with the phases of turns.json (found again if turns.json predates them); insights tagged."""
    result = turns.phases if turns.phases is not None else detect_phases(turns, insights.language)
    return with_phases(insights, result)
