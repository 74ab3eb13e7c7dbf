"""Action points ("wie doet wat, wanneer"): commitments found from the clause's finite verb and its subject.

A sentence is an action when one of its main clauses commits its subject to a task: "ik bel de vader dinsdag terug"
(the speaker), "Daarna stuurt Joris het verslag" (Joris), "we sturen het voor vrijdag" (the whole group, owner
"iedereen"/"everyone"), "ik moet morgen de school bellen", "I'm sending it next week". Dutch read by Frog is judged
from the parse (`clauses.read_parsed`, `clauses.parsed_commitment`): tense, person, modality and the clause's
adverbs, with what the conversation around it adds: a plan just said ("Donderdag ben ik bij hem. Dan vraag ik
..."), a request it answers, the closing round. Without Frog (English, or no Frog installed) the word-order rules of
`clauses.commitment` read it.

A request ("Kun jij ... ?", "Can you ... ?", "Wie wil de volgende keer ... ?") answered with yes by the next speaker
is the action of the one asked, said in the words of the answer when the answer names the task ("Ja hoor.
Donderdag print ik een nieuw kaartje") and of the request otherwise ("Ja, doe ik vrijdag"); an accepted offer
("Zal ik ... ?" / "Graag.") the asker's, at the moment the asker says it again ("Doe ik morgen."). Not actions:
questions nobody accepted, a request or a "yes" inside a hypothetical ("ik zou zeggen: wil je ...?"), an answer that
only judges ("Ja, die vind ik mooi"), expectations about others ("ik ga ervan uit dat hij belt"), the past,
hypotheticals, habits, takeaways ("dat neem ik mee"), meeting procedure ("X brengt een casus in"), a joke taken back
("... Nee, grapje.") and a task of someone who is not in the meeting. With the parse, the first half of a
conversation (cases and stories) gives only commitments that name a day. With the parse, a question that hands a task
to a participant by name ("Dan mailt Yvonne ...?") is a request to her; her "Dat doe ik vandaag nog" after a task
given by name, and a "Dan ..." going on from the plan just said, are that same action.

The owner is a display name (or the group's word); `due` is the time expression as spoken, and `due_date` the ISO
day it names when the session date is known (`duedates.due_date`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.core.language import MONTHS, WEEKDAYS, text_language
from pipeline.core.types import Action
from pipeline.insights.clauses import Rules, Token, commitment, rules
from pipeline.insights.duedates import DUE, due_date, due_expression
from pipeline.insights.nlp import CLOSING_PROMPT, Sentence, lexicon
from pipeline.insights.readings import ParsedSentence, Reading, attributive_ordinals, parsed_commitment, read_parsed

__all__ = ["DUE", "due_expression", "extract_actions"]

_LOOKBACK = 3  # sentences after an accepted offer in which the asker may restate it
_PROFORM = {"nl": re.compile(r"\b(?:doe|regel) ik\b|\bik doe het\b|\bga ik doen\b|\bkomt goed\b", re.IGNORECASE),
            "en": re.compile(r"\bwill do\b|\bi'll do (?:it|that)\b|\bconsider it done\b", re.IGNORECASE)}
# An answer that judges what was said ("Ja, die vind ik mooi") does not take a task on.
_JUDGING = {"nl": re.compile(r"\b(?:vind|vindt|vinden|denk|herken|snap|begrijp)\b", re.IGNORECASE),
            "en": re.compile(r"\b(?:i like|i love|i think|interesting|good point)\b", re.IGNORECASE)}
_WOULD = {"nl": re.compile(r"\bzou(?:den|dt)?\b", re.IGNORECASE), "en": re.compile(r"\bwould\b|'d\b", re.IGNORECASE)}


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


@dataclass
class _Talk:
    """The conversation as the action rules read it: its sentences, their parse (computed once), the closing round and
    the round of plans."""

    sentences: list[Sentence]
    lang: str
    r: Rules
    is_name: _Names

    def __post_init__(self) -> None:
        self._parsed: dict[int, ParsedSentence | None] = {}
        # ordinals Frog read before their noun anywhere in the talk ("de zesde sessie"): not a day of the month
        self.attributive = frozenset().union(*(attributive_ordinals(s.parsed) for s in self.sentences
                                               if s.parsed is not None and self.lang == "nl"))
        # The closing round and the round of plans come in the second half of a conversation (what is asked in the
        # opening, "wat neem je mee van de vorige keer?", opens neither).
        half = self.half = len(self.sentences) // 2
        self.closing = next((k for k, s in enumerate(self.sentences)
                             if k >= half and s.is_question and self._closing_prompt(s)), len(self.sentences))
        prompts = [re.compile(p, re.IGNORECASE) for p in lexicon(self.lang)["actions"].get("plan_prompt", [])]
        self.plans = [k for k, s in enumerate(self.sentences) if k >= half and any(p.search(s.text.strip())
                                                                                    for p in prompts)]

    def planning(self, k: int) -> bool:
        """Is sentence k said in the round of plans: after a plan prompt, with no closing prompt in between?"""
        return any(p < k and not p < self.closing < k for p in self.plans)

    def parsed(self, k: int) -> ParsedSentence | None:
        """Frog's reading of sentence k (Dutch with Frog only), computed once."""
        if k not in self._parsed:
            sentence = self.sentences[k]
            self._parsed[k] = (read_parsed(sentence.parsed, sentence.text, self.is_name)
                               if sentence.parsed is not None and sentence.parsed.parsed and self.lang == "nl"
                               else None)
        return self._parsed[k]

    def _closing_prompt(self, sentence: Sentence) -> bool:
        """The facilitator opening the closing round ("wat neem je mee?", "wat blijft hangen?")."""
        phases = lexicon(self.lang).get("phases", {}).get("closing", [])
        if CLOSING_PROMPT[self.lang].search(sentence.text) or any(re.search(p, sentence.text.lower())
                                                                  for p in phases):
            return True
        lemmas = set(sentence.lemmas)
        return sentence.parsed is not None and "wat" in lemmas and bool(lemmas & {"meenemen", "hangen"})

    def turn_of(self, k: int) -> list[int]:
        """The indices of the sentences of sentence k's turn."""
        turn = self.sentences[k].turn
        return [j for j in range(max(0, k - 40), min(len(self.sentences), k + 40)) if self.sentences[j].turn == turn]

    def due(self, text: str) -> str | None:
        return due_expression(text, self.lang, self.attributive)

    def afterthought(self, k: int) -> str | None:
        """The day said in a verbless addition right after sentence k in its turn ("Dan stuur ik jullie de
        afspraken. Volgende week, als ik terug ben."): the time of sentence k's commitment (parsed Dutch only)."""
        nxt = k + 1
        if nxt >= len(self.sentences) or self.sentences[nxt].turn != self.sentences[k].turn:
            return None
        parsed = self.parsed(nxt)
        if parsed is None or parsed.clauses or parsed.question:
            return None
        return self.due(self.sentences[nxt].text)

    def taken_back(self, k: int, reading: Reading) -> bool:
        """Is sentence k's commitment taken back as a joke: "nee" and then a word of retraction, after the clause or
        opening the next sentence of the turn ("... stuur ik jou de rekening. Nee, grapje.")?"""
        words = set(lexicon("nl")["actions"]["retraction"])
        tails = []
        sentence = self.sentences[k].parsed
        if sentence is not None:
            tails.append((sentence, reading.last + 1))
        nxt = k + 1
        following = self.sentences[nxt].parsed if nxt < len(self.sentences) else None
        if following is not None and self.sentences[nxt].turn == self.sentences[k].turn:
            tails.append((following, 0))
        for parsed, begin in tails:
            toks = parsed.tokens
            nee = next((i for i in range(begin, len(toks)) if toks[i].text.lower() == "nee"), None)
            if nee is None or (begin == 0 and any(t.tag != "LET" for t in toks[:nee])):
                continue  # the next sentence must open with "nee"
            for i in range(nee + 1, len(toks)):
                # the verb with its separable particle, attached by the parser or not ("dat neem ik terug")
                verbs = {parsed.verb_lemma(i).lower()} | {(toks[j].lemma + toks[i].lemma).lower()
                                                          for j in range(i + 1, len(toks))
                                                          if toks[j].text.lower() in self.r.words["particles"]}
                if toks[i].lemma.lower() in words or (toks[i].tag == "WW" and verbs & words):
                    return True
        return False

    def named_request(self, k: int) -> str | None:
        """The participant a question hands a task to by name ("Dan mailt Yvonne een voorstel naar de planner?"),
        as displayed; None for any other question (parsed Dutch only)."""
        parsed = self.parsed(k)
        if parsed is None:
            return None
        data = lexicon("nl")["actions"]
        for c in parsed.clauses:
            if c.who == "name" and c.name and c.mood in {"present", "future"} and not c.negated and (
                    c.verb not in data["not_task_verbs"] and c.verb not in data["course_verbs"]
                    and (c.verb not in data["motion_verbs"] or c.destination)):
                return self.is_name.display(c.name)
        return None

    def commitment(self, k: int, *, answers: bool = False, follows_plan: bool = False) -> _Found | None:
        """Who commits in sentence k, the clause's character start and the parse's reading, or None."""
        sentence = self.sentences[k]
        text = sentence.text.strip()
        if sentence.words < 2 or sentence.is_question:
            return None
        parsed = self.parsed(k)
        if parsed is not None:
            dated = self.due(sentence.text) is not None or self.afterthought(k) is not None
            reading = parsed_commitment(parsed, dated=dated, follows_plan=follows_plan,
                                        answers=answers, planning=self.planning(k), closing=k > self.closing)
            if reading is None or (k < self.half and not dated):
                # The first half of a conversation tells cases and stories; a commitment made there names its day
                # ("Ik stuur het je morgen"): "Als er niemand thuis is, bellen we" is how it goes (on the tune set
                # every annotated Dutch action is in the second half)
                return None
            if reading.who == "name" and reading.name and reading.name.split()[0].lower() not in self.is_name.known:
                return None  # "Bouke werkt in hetzelfde gebouw": an action point is owned by someone in the meeting
            owner = self._owner(sentence, reading.who, reading.name, text)
            return _Found(owner, reading.start, reading) if owner else None
        if sentence.words < 3 or _excluded(text, self.r):
            return None
        found = commitment(text, self.lang, self.is_name, lambda span: self.due(span) is not None)
        if found is None:
            return None
        owner = self._owner(sentence, found.who, found.name, text)
        return _Found(owner, found.start, None) if owner else None

    def _owner(self, sentence: Sentence, who: str | None, name: str | None, text: str) -> str | None:
        if who == "speaker":
            return sentence.speaker
        if who == "group":
            return self.r.group_owner
        if who == "name" and name:
            named = self.is_name.display(name)
            return None if named == sentence.speaker else named
        vocative = re.match(r"\s*([A-ZÀ-Ý][\w-]+),", text)  # "Joris, jij belt de school"
        if who == "addressee" and vocative and self.is_name(Token(vocative.group(1), vocative.group(1).lower(), 0),
                                                             True):
            return self.is_name.display(vocative.group(1))
        return None

    def frame(self, k: int, found: _Found | None) -> str | None:
        """What sentence k sets for the rest of its turn: "plan" (a commitment, or a coming day: "Donderdag ben ik
        weer bij hem", which a following "Dan vraag ik ..." continues), "past" (the past, a hypothetical or a habit:
        "Vorige week was ik er drie kwartier. En dan loop ik achter" is no plan), or None (it changes nothing)."""
        if found is not None:
            return "plan"
        parsed = self.parsed(k)
        if parsed is None:
            return None
        if any(c.mood in {"past", "perfect", "conditional"} or c.habitual for c in parsed.clauses):
            return "past"
        return "plan" if self.due(self.sentences[k].text) is not None else None

    def has_task(self, k: int) -> bool:
        """Does a question ask for a task: a verb that names one (by the parse: any verb but those that name none; by
        the rules: the `[actions]` task verbs)?"""
        sentence = self.sentences[k]
        if self.parsed(k) is None or sentence.parsed is None:
            return _has_task(sentence.text, self.r)
        data = lexicon("nl")["actions"]
        not_tasks = set(data["not_task_verbs"]) | {"doen"}
        if self.due(sentence.text) is None:
            not_tasks |= set(data["course_verbs"])  # "Wil je reageren?": asked for now, in the meeting
        return any(t.tag == "WW" and ("inf" in t.tag_features or "pv" in t.tag_features)
                   and t.lemma.lower() not in not_tasks for t in sentence.parsed.tokens)

    def excluded_question(self, k: int, open_call: bool) -> bool:
        """Is question k no request for a task: an expectation, the past, a takeaway, the moment or procedure (not
        for "Wie wil de volgende keer ...?"), or a hypothetical? With the parse, a polite "zou" ("Zou jij dat willen
        uitzoeken?") still asks; a condition in the past ("als je haar was") does not."""
        text, parsed = self.sentences[k].text, self.parsed(k)
        kinds = ["expectation", "past", "takeaway", "immediate"] + ([] if open_call else ["procedure"])
        day = self.due(text)
        if parsed is not None and any(c.negated for c in parsed.clauses):
            return True  # "Zou je niet eerst met Evert afstemmen?": a suggestion, not a request
        if open_call and self.r.matches("procedure", text) and day and day.lower() in lexicon("nl")["actions"][
                "today_words"]:
            return True  # "Wie brengt er vandaag een casus in?": the meeting's own course, not "de volgende keer"
        if parsed is None:
            kinds.append("hypothetical")
        elif parsed.counterfactual:
            return True
        return any(self.r.matches(kind, text) for kind in kinds)

    def proform(self, k: int) -> bool:
        """"Doe ik morgen.", "Dat ga ik doen.": a commitment whose task is named elsewhere."""
        parsed = self.parsed(k)
        if parsed is not None:
            return any(c.proform and c.who == "speaker" for c in parsed.clauses)
        return bool(_PROFORM[self.lang].search(self.sentences[k].text))


@dataclass(frozen=True)
class _Found:
    owner: str
    start: int  # character offset of the committing clause in its sentence
    reading: Reading | None  # the parse's reading of that clause (None: the rules read it)


def extract_actions(sentences: list[Sentence], language: str, names: Iterable[str],
                    date: datetime.date | None = None) -> list[Action]:
    """Commitments and accepted requests in conversation order; duplicates (same owner, same task) kept once."""
    lang = text_language(language)
    r = rules(lang)
    talk = _Talk(sentences, lang, r, _Names(names, sentences, r))
    actions: list[Action] = []
    done: set[int] = set()  # sentences already part of an action (an answer to a request, an offer's restatement)
    frames: dict[int, tuple[str, str | None]] = {}  # per turn: what its sentences so far set, and the time named
    given: dict[int, int] = {}  # sentence index -> index in `actions` of the action it gave

    def add(action: Action) -> bool:
        if not r.matches("hospitality", action.text) and not any(_same(action, other) for other in actions):
            actions.append(action)
            return True
        return False

    for k, sentence in enumerate(sentences):
        if k in done:
            continue
        if sentence.is_question:
            accepted = _accepted(k, talk, done)
            if accepted is not None:
                owner, said, when, due = accepted
                add(_action(owner, sentences[said], due, date, lang, at=sentences[when]))
            continue
        state = frames.get(sentence.turn)
        follows = state is not None and state[0] == "plan"
        found = talk.commitment(k, follows_plan=follows)
        kind = talk.frame(k, found)
        if kind is not None:
            frames[sentence.turn] = (kind, talk.due(sentence.text) or (state[1] if follows and state else None))
        if found is None:
            continue
        # The deadline of the commitment's own clause or what follows it ("Volgende keer is na de toetsweek, ik
        # zet het in de agenda" has none); "dan ..." takes the time just said ("Morgenavond heb ik dienst, dan ga
        # ik naar hem toe").
        due = talk.due(sentence.text[found.start:])
        if due is None and found.reading is not None and found.reading.opener and not _conditional(talk.parsed(k)):
            due = talk.due(sentence.text[:found.start]) or (state[1] if follows and state else None)
        if found.reading is not None and due is None:
            due = talk.afterthought(k)
        if found.reading is not None and talk.proform(k) and _elaborated(k, talk, found.owner):
            continue  # "Dat ga ik doen. Ik maak deze week een overzicht ...": the next sentence says what
        if found.reading is not None and talk.taken_back(k, found.reading):
            continue
        previous = given.get(k - 1)
        if (found.reading is not None and found.reading.opener in lexicon("nl")["actions"]["sequencers"]
                and previous is not None and sentences[k - 1].turn == sentence.turn
                and actions[previous].owner == found.owner and not _conditional(talk.parsed(k))):
            # "We spreken af dat we ... opschrijven. Dan kijken we daar de volgende keer naar.": how the plan just
            # said goes on, one action
            if actions[previous].due is None and due is not None:
                actions[previous] = _action(found.owner, sentences[k - 1], due, date, lang)
            continue
        if found.reading is not None and talk.proform(k) and actions and _accepts(k, talk, actions[-1], found.owner):
            if actions[-1].due is None and due is not None:  # "Dat doe ik vandaag nog.": the day of the task given
                actions[-1] = _action(found.owner, _sentence_at(sentences, actions[-1]), due, date, lang)
            continue
        asked = _asked_before(k, talk) if talk.proform(k) else None
        # "Zal ik dat artikel nog rondsturen, waar we het vorige keer over hadden? / Graag. / Doe ik morgen.": the
        # question's words say the task, committed at the pro-form
        if add(_action(found.owner, sentences[asked] if asked is not None else sentence, due, date, lang,
                       at=sentence)):
            given[k] = len(actions) - 1
    return actions


def _asked_before(k: int, talk: _Talk) -> int | None:
    """The nearest offer or request with a task ("Zal ik ...?", "Kun jij ...?") in the `_LOOKBACK` sentences before
    pro-form k ("Doe ik morgen."), whose words then say what the pro-form commits to; None when there is none."""
    def asks(j: int) -> bool:
        low = talk.sentences[j].text.strip().lower().replace("’", "'")
        return (talk.sentences[j].is_question and (talk.r.matches("offer", low) or talk.r.matches("request", low))
                and talk.has_task(j))
    return next((j for j in range(k - 1, max(k - 1 - _LOOKBACK, -1), -1) if asks(j)), None)


def _action(owner: str, sentence: Sentence, due: str | None, date: datetime.date | None, lang: str,
            at: Sentence | None = None) -> Action:
    """The action said in `sentence`; it starts where its sentence starts (what the draft links to and what the top 7
    leaves out), or where `at` starts: an offer restated with "Doe ik morgen" is the offer's words, committed then."""
    when = due_date(due, date, lang)
    return Action(owner=owner, text=_clean(sentence.text, lang), due=due, start=round((at or sentence).start, 3),
                  due_date=when.isoformat() if when else None)


def _accepts(k: int, talk: _Talk, last: Action, owner: str) -> bool:
    """Is sentence k's pro-form ("Dat doe ik vandaag nog.") its speaker accepting the task another speaker just gave
    them by name ("Dan mailt Margriet de teamleider ...")?"""
    before = [j for j in range(max(0, k - 3), k) if abs(talk.sentences[j].start - last.start) < 1e-3]
    return bool(before) and last.owner == owner and talk.sentences[before[0]].label != talk.sentences[k].label


def _conditional(parsed: ParsedSentence | None) -> bool:
    """"Als ze akkoord zijn, dan organiseer ik ...": its "dan" takes up the condition, it goes on from nothing."""
    return parsed is not None and parsed.conditional


def _sentence_at(sentences: list[Sentence], action: Action) -> Sentence:
    return next(s for s in sentences if abs(s.start - action.start) < 1e-3)


def _elaborated(k: int, talk: _Talk, owner: str) -> bool:
    """Does the same speaker say what the pro-form commits to in the next sentence of the turn?"""
    nxt = k + 1
    if nxt >= len(talk.sentences) or talk.sentences[nxt].turn != talk.sentences[k].turn:
        return False
    found = talk.commitment(nxt, follows_plan=True)
    return found is not None and found.owner == owner and not talk.proform(nxt)


def _excluded(text: str, r: Rules) -> bool:
    return (r.matches("expectation", text) or r.matches("hypothetical", text) or r.matches("past", text)
            or r.matches("takeaway", text) or r.matches("procedure", text) or r.matches("immediate", text))


def _accepted(k: int, talk: _Talk, done: set[int]) -> tuple[str, int, int, str | None] | None:
    """(owner, the sentence that says the task, the sentence where its owner commits, due) of a request answered with
    yes by the next speaker, or of an accepted offer; None otherwise. Marks the sentences the action is made of in
    `done`."""
    sentences, r, lang = talk.sentences, talk.r, talk.lang
    sentence = sentences[k]
    low = sentence.text.strip().lower().replace("’", "'")
    request, offer = r.matches("request", low), r.matches("offer", low)
    open_call = lang == "nl" and re.match(r"^(?:en |dan )?wie\b", low) is not None and talk.due(low) is not None
    named = None if request or offer or open_call else talk.named_request(k)
    if not (request or offer or open_call or named) or not talk.has_task(k) or talk.excluded_question(k, open_call):
        return None
    if any(_WOULD[lang].search(sentences[j].text) for j in talk.turn_of(k) if j < k):
        return None  # "ik zou zeggen: wil je haar morgen zelf bellen?": a question inside a hypothetical
    answer_index = next((j for j in range(k + 1, min(k + 3, len(sentences)))
                         if sentences[j].label != sentence.label), None)
    if answer_index is None or sentence.turn + 2 < sentences[answer_index].turn:
        return None
    answer = sentences[answer_index]
    if named is not None and answer.speaker != named:
        return None  # "Dan mailt Yvonne ...?" is hers to accept
    if open_call:
        if not (talk.proform(answer_index) or re.match(r"^(?:ik|ja,? ik)\b", answer.text.strip().lower())):
            return None
    elif not _is_yes(answer.text, r) or _JUDGING[lang].search(answer.text):
        return None
    if request or open_call or named:
        vocative = re.match(r"\s*([A-ZÀ-Ý][\w-]+),", sentence.text)
        if request and vocative and talk.is_name(Token(vocative.group(1), vocative.group(1).lower(), 0), True):
            owner = talk.is_name.display(vocative.group(1))
        else:
            owner = answer.speaker
        said = [j for j in talk.turn_of(answer_index) if j >= answer_index]
        for j in said:
            found = talk.commitment(j, answers=True, follows_plan=True)
            if found is not None and found.owner == owner and not talk.proform(j):
                done.update(range(answer_index, j + 1))  # "Ja hoor, doe ik. Donderdag print ik ...": one action
                return owner, j, j, talk.due(sentences[j].text) or talk.due(sentence.text)
        done.update([answer_index] + [j for j in said if talk.proform(j)])
        due = next((d for d in (talk.due(sentences[j].text) for j in said) if d), None) or talk.due(sentence.text)
        return owner, k, k, due
    later = [j for j in range(k + 1, min(k + 1 + _LOOKBACK, len(sentences))) if sentences[j].label == sentence.label]
    for j in later:
        if talk.proform(j):
            done.add(j)
            return sentence.speaker, k, j if talk.parsed(j) is not None else k, talk.due(
                sentences[j].text) or talk.due(sentence.text)
        if talk.commitment(j, answers=True) or commitment(sentences[j].text, lang, talk.is_name, lambda span: True):
            return None  # the asker says it again ("Dan stuur ik het je vanavond"): that sentence is the action
    return sentence.speaker, k, k, talk.due(sentence.text)


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
