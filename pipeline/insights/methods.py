"""Intervision phases read from Frog's analysis: the moves (who steers the session and how) and the
turn-taking around one case-bringer, whatever the method calls its steps.

Every method groups use for a case (the incident method, the "roddelmethode", a Balint group, a socratic dialogue,
free intervision) has the same skeleton in who speaks: one person tells a case at length (the casus); the others
ask and the case-bringer answers (questions); the others talk while the case-bringer listens or sits back
(advice, in the method's own name: the decision round, the gossip round, the exploration, the search for the core
statement); the case-bringer comes back and responds at length (reaction); a round closes the session. The
turn-taking places each phase; the moves place its start on the sentence that opens it:
- a *steering* sentence: an imperative ("Vertel maar", "Draai je stoel maar om"), a proposal in the first person
  plural ("Dan gaan we rond", "Laten we afronden", "Zullen we?"), a question to the group ("Wie begint?", "Wat willen
  jullie nog weten?", "Nog vragen?"), or a verbless announcement ("Dan eerst vragen om informatie");
- the case-bringer announcing a case just before telling it ("Ik wil graag iets inbrengen", "ik heb wel iemand");
- a question to the case-bringer, or her name, just before she comes back;
- a sentence that names the closing by its lemma ("afronden", "afsluiten", "de laatste stap", "wat neem je mee?").
Which method the group follows is read from what the others do in the round (`insights.recognise`).

Thresholds are the methods' own words (a case told at length is twice the usual turn and at least 30 words; the
case-bringer "listens": less than half of an equal share, up to an equal share when a facilitator asks her along;
"nobody else holds the floor": under half of the words; a round reaches two thirds of the group).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.core.language import texts
from pipeline.core.types import Turns

if TYPE_CHECKING:
    from pipeline.analysis.types import Sentence as Parsed
    from pipeline.analysis.types import Token
    from pipeline.insights.nlp import Sentence

METHODS = ("balint", "roddelmethode", "incident", "socratisch", "vrij")  # turns.json's "method"
# The methods with their own step names for the six phases (the texts' [method_steps], "<method>_<phase>"); "vrij"
# keeps the generic labels ([phases]).
STEPPED = ("balint", "roddelmethode", "incident", "socratisch")

# Grammar of steering (Dutch function words): what may stand before a sentence's first verb without changing its
# mood, verbs that are never an imperative, and verbs of state that are no proposal in "we ..." (past events are
# left out by tense).
_LEAD = {"dan", "nu", "eerst", "daarna", "en", "dus", "oké", "goed", "nou", "ja", "mooi", "prima", "zo"}
_NOT_IMPERATIVE = {"zijn", "hebben", "worden", "moeten", "kunnen", "mogen", "willen", "zullen", "weten"}
_NOT_PROPOSAL = {"zijn", "hebben", "worden", "weten", "vinden", "denken", "kennen"}
_OFFERS = {"hebben", "willen", "inbrengen"}  # what a self-announcement says: "ik heb / wil / breng ... in"
_NEGATION = {"niet", "geen", "niets", "niks"}

TELLS = 30  # words: the least a casus is (a situation and a question take a few sentences)
TOLD = 2  # told at length: at least twice the session's median run (and a reaction twice her longest word before)
EARLY = 1 / 3  # the casus begins in the first third of the session
HANDOVER = 3  # runs before the telling within which the case-bringer takes the floor ("ik heb wel iemand")
REACTS = 30  # words: the least a reaction is
REACHES = 2 / 3  # a round reaches at least this share of the group
HOLDS = 0.5  # in the round after the questions nobody else holds half of the words (no second case told)
PART = 1 / 20  # the round after the questions is a real part of the session
ROUNDS_LEFT = 3  # a closing round found from the turn-taking alone comes at the end: three rounds' worth of runs
LONG_TURN = 30.0  # seconds: in a longer turn a move starts at its own sentence, not at the turn's start
BACKCHANNEL = 3  # words: "ja", "hm hm" between two turns of one speaker does not take the floor


def _is(token: Token, tag: str, *features: str) -> bool:
    return token.tag == tag and all(f in token.tag_features for f in features)


def _we(token: Token) -> bool:
    return _is(token, "VNW", "pers", "1", "mv")


def _you(token: Token) -> bool:
    """je, jij, jou, jouw, jezelf, u: the 2nd person singular (or polite)."""
    return token.tag == "VNW" and any(f in ("2", "2v", "2b") for f in token.tag_features) \
        and "mv" not in token.tag_features


def _asks(sentence: Parsed) -> bool:
    return any(t.text == "?" for t in sentence.tokens[-2:])


def _say(key: str, **values: object) -> str:
    """An evidence or a reason in Dutch (Frog reads Dutch only): the texts' `[method_evidence]`."""
    return texts("nl", "method_evidence")[key].format(**values)


def steering(sentence: Parsed) -> str | None:
    """The kind of move about the next activity the sentence makes ("imperative", "proposal", "group question",
    "short question", "announcement"), or None."""
    tokens = sentence.tokens
    words = [i for i, t in enumerate(tokens) if t.tag != "LET"]
    if not words:
        return None
    question = _asks(sentence)
    finite = [i for i in words if tokens[i].is_finite_verb]
    k = 0  # the first word after interjections, a vocative name ("Femke, ...") and "dan", "nu", "goed"
    while k < len(words):
        token = tokens[words[k]]
        vocative = token.tag == "SPEC" and words[k] + 1 < len(tokens) and tokens[words[k] + 1].text == ","
        if not (token.tag == "TSW" or vocative or token.lemma.lower() in _LEAD):
            break
        k += 1
    if k < len(words) and not question:
        verb = tokens[words[k]]
        after = tokens[words[k] + 1] if words[k] + 1 < len(tokens) else None
        subject_after = after is not None and _is(after, "VNW", "pers", "nomin")
        if _is(verb, "WW", "pv", "tgw", "ev") and "met-t" not in verb.tag_features \
                and verb.lemma not in _NOT_IMPERATIVE and not subject_after:
            return "imperative"  # the stem first, no subject after it: "Vertel maar", "Schuif maar weer aan"
    for i in finite:
        verb = tokens[i]
        if "tgw" not in verb.tag_features or verb.lemma in _NOT_PROPOSAL:
            continue
        if verb.lemma == "laten" and any(_we(tokens[j]) for j in words if j > i):
            return "proposal"  # "laten we afronden"
        subjects = sentence.dependents(i, "su")
        if any(_we(tokens[j]) for j in subjects) or \
                (not subjects and any(_we(tokens[j]) for j in (i - 1, i + 1) if 0 <= j < len(tokens))):
            return "proposal"  # "dan gaan we rond", "zullen we?"
    if question:
        lemmas = [tokens[i].lemma.lower() for i in words]
        if lemmas[0] == "wie" or "jullie" in lemmas:
            return "group question"  # "Wie begint?", "Wat willen jullie nog van Esra weten?"
        if not finite:
            return "short question"  # "Nog vragen?", "Nog meer?"
    if not finite and any(tokens[words[j]].lemma.lower() in ("dan", "nu", "eerst") for j in range(k)):
        return "announcement"  # "Dan eerst vragen om informatie.", "Dan de laatste stap: ...", "En nu de zin."
    return None


def announces(sentence: Parsed) -> bool:
    """The speaker offers a case: "ik" with "hebben", "willen" or "inbrengen" in the present, not negated ("Ik wil
    graag iets inbrengen", "ik heb wel iemand"; not "ik heb niet echt iets", nor the perfect "ik heb een brief
    geschreven")."""
    tokens = sentence.tokens
    if _asks(sentence) or any(t.lemma.lower() in _NEGATION for t in tokens):
        return False
    for i, token in enumerate(tokens):
        if token.is_finite_verb and "tgw" in token.tag_features and sentence.verb_lemma(i) in _OFFERS \
                and any(_is(tokens[j], "VNW", "pers", "1", "ev") for j in sentence.dependents(i, "su")) \
                and not any(_is(tokens[j], "WW", "vd") for j in sentence.dependents(i, "vc")):  # the perfect
            return True
    return False


def names_closing(sentence: Parsed, closing: Sequence[str]) -> bool:
    """The sentence names the closing: one of the `closing` lemmas (a separable verb with its particle, even when
    the tagger took the verb for a noun), "laatste" before a noun ("de laatste stap"), or "wat neem je mee?"."""
    tokens = sentence.tokens
    particles = [t.lemma.lower() for t in tokens if t.relation == "svp" or _is(t, "VZ", "fin")]
    for i, token in enumerate(tokens):
        lemma = token.lemma.lower()
        if lemma in closing or any(p + form in closing for p in particles
                                   for form in (lemma, token.text.lower(), lemma + "en")):
            return True
        if token.text.lower().startswith("laatst") and _is(token, "ADJ", "prenom"):
            return True
        if token.is_finite_verb and sentence.verb_lemma(i) == "meenemen" and _asks(sentence) \
                and any(_you(tokens[j]) for j in sentence.dependents(i, "su")):
            return True
    return False


def _afterthought(sentence: Sentence) -> bool:
    """A sentence that adds nothing of its own to the question before it: no finite verb but "bedoel ik" ("Per week
    bedoel ik.", "Over het conflict bedoel ik, niet over het verzuim.")."""
    if sentence.parsed is None:
        return False
    tokens = sentence.parsed.tokens
    return all(t.lemma == "bedoelen" and any(_is(tokens[j], "VNW", "pers", "1", "ev")
                                             for j in sentence.parsed.dependents(i, "su"))
               for i, t in enumerate(tokens) if t.is_finite_verb)


def _to_the_group(sentence: Sentence) -> bool:
    """A question put to the group: "jullie" in it, not in words quoted after a colon ("Klopt dat voor jullie?"; not
    "toen hij zei: jullie zijn toch van iedereen?")."""
    head = sentence.text.split(":")[0]
    return re.search(r"\bjullie\b", head, re.IGNORECASE) is not None


def _asks_her(said: Sequence[Sentence]) -> bool:
    """A turn that ends with a question to one person: its last sentence, or the one before an afterthought; not a
    question to the group."""
    last = [s for s in said if s.text.strip()]
    if len(last) > 1 and _afterthought(last[-1]):
        last = last[:-1]
    return bool(last) and last[-1].is_question and not _to_the_group(last[-1])


@dataclass
class Run:
    """Consecutive turns of one speaker (a backchannel of someone else in between does not end it)."""

    speaker: str
    first: int  # index of its first turn
    last: int  # index of its last turn
    start: float
    words: int
    asks: bool  # its last turn ends with a question
    asked: bool = False  # its last turn asks her a question (`_asks_her`)


class Talk:
    """The turns as runs, with the sentences of each turn (Frog's) and which of them steer."""

    def __init__(self, turns: Turns, sentences: Sequence[Sentence]) -> None:
        self.turns = turns
        self.sentences: list[list[Sentence]] = [[] for _ in turns.turns]
        for sentence in sentences:
            self.sentences[sentence.turn].append(sentence)
        self.steers = [[s for s in said if s.parsed is not None and steering(s.parsed)] for said in self.sentences]
        self.runs: list[Run] = []
        listed = [i for i, t in enumerate(turns.turns) if t.text.split()]
        for n, i in enumerate(listed):
            turn = turns.turns[i]
            words = len(turn.text.split())
            asks = turn.text.rstrip().endswith("?")
            asked = _asks_her(self.sentences[i])
            runs = self.runs
            if runs and turn.speaker != runs[-1].speaker and words <= BACKCHANNEL and "?" not in turn.text \
                    and n + 1 < len(listed) and turns.turns[listed[n + 1]].speaker == runs[-1].speaker \
                    and not self.steers[i]:  # "Vertel maar." takes the floor back; "ja." does not
                continue
            if runs and turn.speaker == runs[-1].speaker:
                runs[-1].last, runs[-1].words, runs[-1].asks, runs[-1].asked = i, runs[-1].words + words, asks, asked
            else:
                runs.append(Run(turn.speaker, i, i, turn.start, words, asks, asked))
        self.median = sorted(r.words for r in self.runs)[len(self.runs) // 2] if self.runs else 0

    def facilitator(self) -> str | None:
        """Who steers the session: the speaker with the most steering sentences, at least twice anyone else's."""
        count: dict[str, int] = {}
        for i, steers in enumerate(self.steers):
            count[self.turns.turns[i].speaker] = count.get(self.turns.turns[i].speaker, 0) + len(steers)
        ranked = sorted(count.items(), key=lambda item: -item[1])
        if not ranked or not ranked[0][1] or (len(ranked) > 1 and ranked[0][1] < TOLD * ranked[1][1]):
            return None
        return ranked[0][0]

    def steer(self, run: Run, *, first: bool = False) -> Sentence | None:
        """The run's last steering sentence (or its first)."""
        found = [s for i in range(run.first, run.last + 1) for s in self.steers[i]]
        return (found[0] if first else found[-1]) if found else None

    def quote(self, sentence: Sentence, limit: int = 160) -> str:
        """The sentence and what follows it in its turn, quoted, cut at a word near `limit` characters."""
        text = " ".join(s.text for s in self.sentences[sentence.turn] if s.start >= sentence.start)
        if len(text) > limit:
            text = text[:limit].rsplit(" ", 1)[0] + " \u2026"
        return f"\u201c{text}\u201d"

    def said(self, run: Run) -> list[Sentence]:
        return [s for i in range(run.first, run.last + 1) for s in self.sentences[i]]

    def at(self, sentence: Sentence) -> float:
        """When a move starts: its turn's start, or in a long turn its own sentence's."""
        turn = self.turns.turns[sentence.turn]
        return sentence.start if turn.end - turn.start > LONG_TURN else turn.start


@dataclass(frozen=True)
class Structure:
    """One case as the turn-taking shows it: the case-bringer (speaker label) and each phase's start with its
    evidence."""

    bringer: str
    starts: dict[str, tuple[float, str]]


def _tellings(talk: Talk, begin: float, finish: float) -> list[tuple[int, int, int]]:
    """Who could have brought the casus: each speaker's longest telling that starts in the first third, as (words,
    first run, last run), the longest first. A telling goes on over short remarks of others that ask nothing
    ("Jeetje", "Sorry, dat is mijn schuld"), and back over a listener's short question or remark ("Hoe oud is
    hij?") to what she told before it; an invitation ("Vertel maar") is where it begins."""
    runs = talk.runs
    best: dict[str, tuple[int, int, int]] = {}
    for k, run in enumerate(runs):
        if run.start - begin > EARLY * (finish - begin):
            break
        if run.words < max(TELLS, TOLD * talk.median):
            continue
        words, first, last, j = run.words, k, k, k + 1
        while j + 1 < len(runs) and runs[j].speaker != run.speaker and not runs[j].asks \
                and runs[j].words < talk.median and runs[j + 1].speaker == run.speaker:
            words, last, j = words + runs[j + 1].words, j + 1, j + 2
        while first >= 2 and runs[first - 1].speaker != run.speaker and runs[first - 1].words < talk.median \
                and talk.steer(runs[first - 1]) is None and runs[first - 2].speaker == run.speaker \
                and runs[first - 2].words >= talk.median:
            words, first = words + runs[first - 2].words, first - 2
        if run.speaker not in best or words > best[run.speaker][0]:
            best[run.speaker] = (words, first, last)
    return sorted(best.values(), reverse=True)


def _answers(runs: list[Run], bringer: str, told: int, people: int, median: int) -> list[int]:
    """The case-bringer's runs that answer a question, one exchange after another from the casus on (others
    ask, she answers): up to four runs of others before each answer, one of them a question (its last turn asks,
    also with an afterthought after the question mark); up to a round's worth when none of them is told at length
    (a question asked again or relayed after a hitch; before the first, which example to take or how the step
    goes). Between two exchanges one remark that checks what she said may get her short confirmation ("Dus jij
    dacht dat het anders misging." - "Ja, eigenlijk wel.")."""
    found: list[int] = []
    at, checked = told + 1, False
    while True:
        answer = next((j for j in range(at, len(runs)) if runs[j].speaker == bringer), None)
        if answer is None:
            return found
        if not any(runs[x].asked for x in range(at, answer)):
            if found and not checked and answer == at + 1 and runs[answer].words < median:
                at, checked = answer + 1, True  # a check and her short yes ("Dus jij dacht ..." - "Ja.")
                continue
            return found
        checked = False
        short = all(runs[x].words < TOLD * median for x in range(at, answer))
        if answer > at + (max(4, people) if short else 4):
            return found
        found.append(answer)
        at = answer + 1


def find_case(talk: Talk, closing: Sequence[str], closing_cues: re.Pattern[str]) -> tuple[Structure | None, str]:
    """The phases of one case from the turn-taking and the moves, or None and why the turn-taking is no
    intervision (Dutch evidence and reasons).

    Args:
        closing: lemmas that name the closing (the lexicon's `[phases] closing_lemmas`).
        closing_cues: the lexicon's closing phrases (`[phases] closing`), also read as naming it.
    """
    turns, runs = talk.turns, talk.runs
    people = len({r.speaker for r in runs})
    if people < 3:
        return None, _say("few_speakers")
    begin, finish = turns.turns[0].start, max(t.end for t in turns.turns)
    leads = talk.facilitator()  # who steers does not bring the case (an explanation of the method can be long)
    tellings = [telling for telling in _tellings(talk, begin, finish) if runs[telling[1]].speaker != leads]
    if not tellings:
        return None, _say("no_telling")
    return _case(talk, tellings[0], begin, finish, people, closing, closing_cues)


def _case(talk: Talk, telling: tuple[int, int, int], begin: float, finish: float, people: int,
          closing: Sequence[str], closing_cues: re.Pattern[str]) -> tuple[Structure | None, str]:
    """The phases of the case of one telling, or None and why it is none."""
    turns, runs = talk.turns, talk.runs
    _, tell, told = telling
    bringer = runs[tell].speaker
    name = turns.name(bringer)
    first_name = name.split()[0]
    starts: dict[str, tuple[float, str]] = {}
    # "Ik wil graag een casus inbrengen", "ik heb wel iemand": in her runs just before, with no more than a short
    # "vertel maar" in between, or in the first turn of the telling when that was lost
    offered = [i for j in range(max(tell - HANDOVER, 0), tell) if runs[j].speaker == bringer
               and all(r.words < talk.median for r in runs[j + 1:tell])  # only "vertel maar" in between
               for i in range(runs[j].first, runs[j].last + 1)]
    offered += [runs[tell].first] if runs[tell].last > runs[tell].first else []
    announced = next((s for i in offered for s in talk.sentences[i] if s.parsed is not None and announces(s.parsed)),
                     None)
    before = runs[tell - 1] if tell > 0 and runs[tell - 1].speaker != bringer else None
    invited = next((s for s in talk.sentences[before.last][-2:] if s in talk.steers[before.last]), None) \
        if before is not None else None  # "Dat is meestal genoeg. Vertel maar."
    if announced is not None:
        starts["casus"] = (talk.at(announced), f"{name}: " + talk.quote(announced))
    elif invited is not None:
        starts["casus"] = (talk.at(invited), talk.quote(invited))
    else:
        starts["casus"] = (runs[tell].start, _say("tells", name=name, words=telling[0]))
    answers = _answers(runs, bringer, told, people, talk.median)
    if len(answers) < 2:
        return None, _say("no_questions", name=name)
    starts["questions"] = (runs[told + 1].start, _say("questions", name=name))
    main = answers[-1] + 1
    # The next step may open with a question to her ("En nu de zin. Sjoerd, wat was er niet goed?"): the questions
    # end at a verbless announcement in the runs that asked her last answer.
    opened = next((j for j in range(answers[-2] + 1, answers[-1]) if len(answers) > 2 and runs[j].speaker != bringer
                   and any(s.parsed is not None and steering(s.parsed) == "announcement"
                           for i in range(runs[j].first, runs[j].last + 1) for s in talk.steers[i])), None)
    main = opened if opened is not None else main
    if main >= len(runs):
        return None, _say("talk_ends", name=name)
    # The round starts at the first steering move after the questions that answers no question ("Nog vragen?
    # Nee? Dan gaan we rond"), before the first turn told at length; else where the questions stop.
    told_at_length = next((j for j in range(main, len(runs)) if runs[j].speaker != bringer
                           and runs[j].words >= TOLD * talk.median and talk.steer(runs[j]) is None), len(runs))
    move = next((talk.steer(runs[j], first=True) for j in range(main, told_at_length)
                 if runs[j].speaker != bringer and talk.steer(runs[j]) is not None
                 and not (runs[j - 1].speaker != bringer and runs[j - 1].asks)), None)
    starts["advice"] = (talk.at(move), talk.quote(move)) if move is not None else \
        (runs[main].start, _say("questions_stop", name=name))
    back = _comes_back(talk, bringer, main, first_name)
    if back is None:
        return None, _say("no_return", name=name)
    prompted = _prompt(talk, runs, back, first_name)
    starts["reaction"] = prompted or (runs[back].start, _say("reacts", name=name))
    quiet = runs[main:back]
    words = sum(r.words for r in quiet)
    speakers = {r.speaker for r in quiet} | {bringer}
    own = sum(r.words for r in quiet if r.speaker == bringer)
    most = max(sum(r.words for r in quiet if r.speaker == s) for s in speakers)
    if len(speakers) < 3 or (starts["reaction"][0] - starts["advice"][0]) < PART * (finish - begin):
        return None, _say("no_round")
    if most >= HOLDS * words:
        return None, _say("another_tells")
    closed = _closing(talk, bringer, starts["reaction"][0], closing, closing_cues, people)
    # She listens: under half an equal share of the round; up to an equal share when a facilitator's moves mark
    # where the round starts and where she is asked back (she is asked along, as in a socratic dialogue)
    steered = move is not None and prompted is not None
    if own >= words / (len(speakers) if steered else 2 * len(speakers)):
        return None, _say("joins_in", name=name)
    at = _round_at_the_end(runs, bringer, back + 1, people) if closed is None else None
    if closed is not None:
        starts["closing"] = closed
    elif at is not None:
        starts["closing"] = (runs[at].start, _say("closing_round"))
    return Structure(bringer, starts), ""


def _comes_back(talk: Talk, bringer: str, main: int, first_name: str) -> int | None:
    """The run where the case-bringer comes back: her first run, after the round reached two thirds of the others,
    told at length (30 words and twice her longest word in the round), or of 30 words right after the one who
    steers the session gave her the floor back by her name (she was asked along in the round, as in a socratic
    dialogue: "Sjoerd, past het?"); from her first word back when a short prompt sits in between."""
    runs, median, leads = talk.runs, talk.median, talk.facilitator()
    longest, others = 0, set()
    group = len({r.speaker for r in runs}) - 1
    for j in range(main, len(runs)):
        run = runs[j]
        if run.speaker != bringer:
            others.add(run.speaker)
        elif len(others) >= max(2, math.ceil(REACHES * group - 1e-9)) and run.words >= REACTS and (
                run.words >= TOLD * longest or (leads is not None and runs[j - 1].speaker == leads
                                                and _prompt(talk, runs, j, first_name, named=True) is not None)):
            while j - 2 >= main and runs[j - 1].speaker != bringer and runs[j - 1].words < TOLD * median \
                    and runs[j - 2].speaker == bringer:
                j -= 2  # "Pfoe. Dat was heftig." - "Neem je tijd. Wat raakte je?" - the reaction at length
            return j
        else:
            longest = max(longest, run.words)
    return None


def _prompt(talk: Talk, runs: list[Run], back: int, first_name: str, *,
            named: bool = False) -> tuple[float, str] | None:
    """The reaction's start at the prompt that asks the case-bringer back: the last sentences before her return
    that ask a question or name her ("Marloes, schuif maar weer aan. ... Wat raakte je?"); with `named`, only a
    prompt that names her."""
    before = runs[back - 1]
    if before.speaker == runs[back].speaker:
        return None
    hit, called = None, False
    for sentence in reversed(talk.said(before)):
        names = re.search(rf"\b{re.escape(first_name)}\b", sentence.text) is not None
        if not (sentence.is_question or names):
            break
        hit, called = sentence, called or names
    if hit is None or (named and not called):
        return None
    return talk.at(hit), talk.quote(hit)


def _closing(talk: Talk, bringer: str, after: float, closing: Sequence[str], cues: re.Pattern[str],
             people: int) -> tuple[float, str] | None:
    """The first sentence after the reaction, not the case-bringer's, that names the closing and after which a
    round reaches two thirds of the group."""
    for i, said in enumerate(talk.sentences):
        turn = talk.turns.turns[i]
        if turn.speaker == bringer or turn.end <= after:
            continue
        for sentence in said:
            if sentence.start <= after or sentence.parsed is None:
                continue
            if names_closing(sentence.parsed, closing) or cues.search(sentence.text):
                later = {t.speaker for t in talk.turns.turns[i:]}
                if len(later) >= REACHES * people:
                    return talk.at(sentence), talk.quote(sentence)
    return None


def _round_at_the_end(runs: list[Run], bringer: str, after: int, people: int) -> int | None:
    """Without a sentence that names it, the closing round from the turn-taking: the first run after the reaction
    from which two thirds of the group (the case-bringer among them) speak once each before anyone speaks again,
    with at most three rounds' worth of runs left in the session."""
    for k in range(after, len(runs)):
        if len(runs) - k > ROUNDS_LEFT * people:
            continue
        seen: list[str] = []
        for run in runs[k:]:
            if run.speaker in seen:
                break
            seen.append(run.speaker)
        if len(seen) >= max(3, math.ceil(REACHES * people - 1e-9)) and bringer in seen:
            return k
    return None
