"""Scoring helpers for `bench_quality.py`: baselines, topic coverage, stray share, and where a quote was said.

Nothing here imports `pipeline`: transcripts come in as duck-typed `Turns` (`.turns[i].speaker/.start/.end/.text`
and `.name(label)`), so the helpers are tested on tiny hand-made data and survive a reorganisation of `pipeline/`.

Sentences for every baseline are split the same simple way (`split_sentences`): after `.`, `?` or `!` followed by
white space, inside one transcript line, and only sentences of at least `MIN_WORDS` words compete (the method does
not embed shorter ones either); "Okay." and "Mm-hmm." would otherwise fill the evenly spaced picks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIN_WORDS = 5
STRAY_PRECISION = 0.25  # an item whose ROUGE-1 precision against the reference is below this is a stray

# `Name: text` as the importer reads it: a short name that starts with a letter, a colon, a space.
_SPEAKER = re.compile(r"^\s*[^\W\d_][\w .'’()\-]{0,58}?\s*:\s+")
_STAMP = re.compile(r"^\s*(?:\[[\d:.,]+\]|\([\d:.,]+\)|\d{1,2}:\d{2}(?::\d{2})?(?=\s))\s*[-–]?\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+(?:['’]\w+)*")


def strip_speaker(text: str) -> str:
    """The text without a leading `Speaker Name: ` prefix (at most five words before the colon)."""
    match = _SPEAKER.match(text)
    if match and len(match.group(0).split()) <= 5:
        return text[match.end():].strip()
    return text.strip()


def split_sentences(text: str) -> list[str]:
    """Sentences of one line: split after `.`, `?`, `!` followed by white space; pieces without letters dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if any(ch.isalnum() for ch in s)]


def words(text: str) -> list[str]:
    return text.split()


@dataclass(frozen=True)
class Sentence:
    line: int  # 0-based index of the transcript line it comes from
    text: str


def transcript_sentences(lines: Sequence[str], min_words: int = MIN_WORDS) -> list[Sentence]:
    """Sentences of every line (speaker prefix stripped) with at least `min_words` words, in order."""
    found = []
    for number, line in enumerate(lines):
        for sentence in split_sentences(strip_speaker(line)):
            if len(sentence.split()) >= min_words:
                found.append(Sentence(number, sentence))
    return found


# ---------------------------------------------------------------- baselines

def _tokens(text: str, stop: frozenset[str]) -> list[str]:
    from rouge_score import tokenize  # the tokens ROUGE scores: lower-cased, alphanumeric, Porter-stemmed

    return [t for t in tokenize.tokenize(text, _stemmer()) if t not in stop]


_STEMMER: list[Any] = []


def _stemmer() -> Any:
    if not _STEMMER:
        from nltk.stem import porter

        _STEMMER.append(porter.PorterStemmer())
    return _STEMMER[0]


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def stop_words(language: str) -> frozenset[str]:
    """TextRank's stop words: scikit-learn's English list; for Dutch spaCy's list, each word also as the Porter
    stem the tokenizer makes of it (the tokens are stemmed before stop words are dropped)."""
    if language == "en":
        return _stop_words()
    from spacy.lang.nl.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | {_stemmer().stem(w) for w in STOP_WORDS}


def textrank(texts: Sequence[str], *, damping: float = 0.85, iterations: int = 100, tol: float = 1e-8,
             stop: Iterable[str] | None = None) -> list[int]:
    """Indices of `texts` from most to least central (TextRank, Mihalcea & Tarau 2004).

    Edge weight = shared content tokens (stemmed, stop words removed) / (log |Si| + log |Sj|); PageRank by power
    iteration on the row-normalised graph. Ties keep transcript order.
    """
    import numpy as np

    stop_set = frozenset(stop) if stop is not None else _stop_words()
    tokens = [_tokens(t, stop_set) for t in texts]
    n = len(texts)
    if n == 0:
        return []
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for i, sentence_tokens in enumerate(tokens):
        for token in set(sentence_tokens):
            rows.append(i)
            cols.append(vocabulary.setdefault(token, len(vocabulary)))
    from scipy.sparse import csr_matrix

    present = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, max(len(vocabulary), 1)))
    shared = np.asarray((present @ present.T).todense())  # distinct tokens two sentences have in common
    logs = np.log(np.maximum([len(t) for t in tokens], 1))
    norm = logs[:, None] + logs[None, :]
    weights = np.where(norm > 0, shared / np.where(norm > 0, norm, 1), shared)
    np.fill_diagonal(weights, 0.0)
    out = weights.sum(axis=1, keepdims=True)
    transition = np.where(out > 0, weights / np.where(out > 0, out, 1), 1.0 / n)  # dangling rows jump anywhere
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        new = (1 - damping) / n + damping * transition.T @ rank
        if np.abs(new - rank).sum() < tol:
            rank = new
            break
        rank = new
    return sorted(range(n), key=lambda i: (-round(float(rank[i]), 12), i))


def lead_words(text: str, n: int) -> str:
    """The first `n` words."""
    return " ".join(text.split()[:n])


def cut_to_words(ranked_texts: Sequence[str], positions: Sequence[int], n: int) -> str:
    """Best-ranked sentences until `n` words (the last one cut), put back in transcript order.

    Args:
        ranked_texts: sentences from best to worst.
        positions: each sentence's position in the transcript (for the order of the result).
    """
    picked: list[tuple[int, str]] = []
    total = 0
    for text, position in zip(ranked_texts, positions, strict=True):
        if total >= n:
            break
        tokens = text.split()[: n - total]
        picked.append((position, " ".join(tokens)))
        total += len(tokens)
    return " ".join(text for _, text in sorted(picked))


def longest(texts: Sequence[str], k: int) -> list[int]:
    """Indices of the `k` longest texts (in words; earlier first on ties), in transcript order."""
    order = sorted(range(len(texts)), key=lambda i: (-len(texts[i].split()), i))
    return sorted(order[:k])


def lead(n: int, k: int) -> list[int]:
    """The first `k` of `n` items."""
    return list(range(min(n, k)))


def evenly_spaced(n: int, k: int) -> list[int]:
    """`k` indices spread evenly over `n` items: the middle of each of `k` equal stretches."""
    if n <= 0 or k <= 0:
        return []
    if k >= n:
        return list(range(n))
    return sorted({min(n - 1, int((i + 0.5) * n / k)) for i in range(k)})


# ---------------------------------------------------------------- measures

def topic_coverage(topics: Sequence[dict[str, Any]], turns: Iterable[int]) -> float:
    """Share of `topics` (each with `spans`: inclusive [first, last] turn ranges) holding at least one of `turns`."""
    if not topics:
        return 0.0
    picked = set(turns)
    covered = sum(1 for topic in topics
                  if any(first <= t <= last for first, last in topic["spans"] for t in picked))
    return covered / len(topics)


class Rouge:
    """rouge-score with stemming; every text has its speaker prefixes stripped line by line before scoring."""

    def __init__(self) -> None:
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)

    @staticmethod
    def clean(text: str) -> str:
        return "\n".join(strip_speaker(line) for line in text.split("\n"))

    def f1(self, reference: str, candidate: str) -> dict[str, float]:
        scores = self._scorer.score(self.clean(reference), self.clean(candidate))
        return {name: score.fmeasure for name, score in scores.items()}

    def precision1(self, reference: str, candidate: str) -> float:
        return self._scorer.score(self.clean(reference), self.clean(candidate))["rouge1"].precision


def stray_flags(rouge: Rouge, reference: str, texts: Sequence[str], threshold: float = STRAY_PRECISION) -> list[bool]:
    """For each item, whether its ROUGE-1 precision against `reference` is under `threshold`."""
    return [rouge.precision1(reference, text) < threshold for text in texts]


# ---------------------------------------------------------------- where a quote was said

def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class LineMap:
    """Character positions of the turn texts mapped back to the transcript's lines.

    The importer joins a speaker's consecutive lines (and a cue's text lines) with one space, so the turn texts
    joined by spaces are the line texts joined by spaces; `build` checks that and fails loudly otherwise.
    """

    turn_offsets: list[int]  # where each turn's text starts in the joined stream
    line_starts: list[int]  # where each line's text starts in the joined stream
    line_numbers: list[int]  # the line each entry of line_starts belongs to (1-based file line numbers)
    turns: Any
    unmatched: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, turns: Any, lines: Sequence[tuple[int, str]]) -> LineMap:
        """Args:
            lines: (file line number, what was said on it: name, time stamp and tags removed) for each text line.
        """
        turn_offsets, stream = [], []
        cursor = 0
        for turn in turns.turns:
            text = _norm(turn.text)
            turn_offsets.append(cursor)
            stream.append(text)
            cursor += len(text) + 1
        line_starts, line_numbers, said = [], [], []
        cursor = 0
        for number, text in lines:
            text = _norm(text)
            if not text:
                continue
            line_starts.append(cursor)
            line_numbers.append(number)
            said.append(text)
            cursor += len(text) + 1
        if " ".join(stream) != " ".join(said):
            a, b = " ".join(stream), " ".join(said)
            at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            raise ValueError(f"turn texts and file lines differ at character {at}: "
                             f"{a[max(0, at - 30):at + 30]!r} vs {b[max(0, at - 30):at + 30]!r}")
        return cls(turn_offsets, line_starts, line_numbers, turns)

    def line_at(self, offset: int) -> int:
        """The file line number holding character `offset` of the joined stream."""
        import bisect

        return self.line_numbers[max(0, bisect.bisect_right(self.line_starts, offset) - 1)]

    def turn_of(self, speaker: str | None, start: float, text: str) -> int | None:
        """The turn a sentence was said in: its speaker (display name, when given), its time inside the turn, and
        its text a substring of the turn's. None when no turn fits."""
        needle = _norm(text)
        fits = [i for i, turn in enumerate(self.turns.turns)
                if (speaker is None or self.turns.name(turn.speaker) == speaker)
                and turn.start - 1e-3 <= start <= turn.end + 1e-3 and needle in _norm(turn.text)]
        if not fits and speaker is not None:
            return self.turn_of(None, start, text)
        return min(fits, key=lambda i: abs(self.turns.turns[i].start - start)) if fits else None

    def lines_of(self, speaker: str | None, start: float, end: float, text: str) -> list[int]:
        """The file line numbers a verbatim sentence (a quote) spans; [] when it cannot be placed."""
        index = self.turn_of(speaker, start, text)
        if index is None:
            self.unmatched.append(text)
            return []
        turn = self.turns.turns[index]
        body, needle = _norm(turn.text), _norm(text)
        # The sentence's time is interpolated by character offset inside its turn: pick the occurrence it points at.
        span = max(turn.end - turn.start, 1e-9)
        expected = (start - turn.start) / span * len(body)
        found = [m.start() for m in re.finditer(re.escape(needle), body)]
        local = min(found, key=lambda at: abs(at - expected))
        first = self.turn_offsets[index] + local
        last = first + max(len(needle) - 1, 0)
        return sorted({self.line_at(first), self.line_at(last)} | {
            n for s, n in zip(self.line_starts, self.line_numbers, strict=True) if first <= s <= last})

    def line_at_time(self, start: float, text: str | None = None) -> int | None:
        """The line where something starting at `start` was said (actions carry a time, not a turn)."""
        candidates = [i for i, turn in enumerate(self.turns.turns) if turn.start - 1e-3 <= start <= turn.end + 1e-3]
        if not candidates:
            return None
        if text and len(candidates) > 1:  # turns touch at their edges: prefer the one holding the text
            probe = _word_list(text)[:3]
            candidates = [i for i in candidates
                          if all(w in _word_list(self.turns.turns[i].text) for w in probe)] or candidates
        index = max(candidates, key=lambda i: self.turns.turns[i].start)
        turn = self.turns.turns[index]
        body = _norm(turn.text)
        span = max(turn.end - turn.start, 1e-9)
        local = int(round((start - turn.start) / span * len(body)))
        return self.line_at(self.turn_offsets[index] + min(max(local, 0), max(len(body) - 1, 0)))


def said_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, what was said) for every text line of a `.txt` (`[stamp] Name: text`) or `.vtt` transcript."""
    raw = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").split("\n")
    result = []
    if path.suffix.lower() == ".vtt":
        in_cue = False
        for number, line in enumerate(raw, start=1):
            if not line.strip():
                in_cue = False
                continue
            if "-->" in line:
                in_cue = True
                continue
            if in_cue:
                text = re.sub(r"<[^>]*>", "", line)
                voice = re.match(r"\s*<v(?:\.[^\s>]*)?\s+[^>]+>", line)
                result.append((number, text if voice else strip_speaker(text)))
        return result
    for number, line in enumerate(raw, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or re.fullmatch(r"\[pause\s+[0-9.]+\]", stripped, re.I):
            continue
        result.append((number, strip_speaker(_STAMP.sub("", stripped, count=1))))
    return result


# ---------------------------------------------------------------- insight sentence among its quotes

def _word_list(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def seed_quote(text: str, quotes: Sequence[Any]) -> int | None:
    """Index of the quote the insight sentence was cleaned from: the quote whose words hold the sentence's words in
    order (fillers are only ever removed); the one with most words in common when none does."""
    wanted = _word_list(text)

    def in_order(quote_words: list[str]) -> bool:
        it = iter(quote_words)
        return all(w in it for w in wanted)

    exact = [i for i, q in enumerate(quotes) if in_order(_word_list(q.text))]
    if exact:
        return min(exact, key=lambda i: len(_word_list(quotes[i].text)))
    if not quotes:
        return None
    overlap = [len(set(wanted) & set(_word_list(q.text))) for q in quotes]
    best = max(range(len(quotes)), key=lambda i: overlap[i])
    return best if overlap[best] else None


# ---------------------------------------------------------------- the report set

GROUP_OWNERS = {"we", "wij", "ons", "groep", "de groep", "team", "het team", "iedereen", "allemaal", "allen",
                "group", "the group", "us", "everyone", "everybody", "all", "the team"}


def owner_matches(expected: str, predicted: str | None) -> bool:
    """Names compare case-insensitively on the first name; `group` accepts the words for the whole group."""
    if predicted is None:
        return False
    got = predicted.strip().lower()
    if expected.lower() == "group":
        return got in GROUP_OWNERS
    return got == expected.lower() or got.split()[0] == expected.lower().split()[0]


def due_matches(expected: str | None, predicted: str | None) -> bool:
    """No due expected: none given. Else the predicted due holds the expected words (or the other way round)."""
    if expected is None:
        return predicted is None
    if predicted is None:
        return False
    a, b = " ".join(_word_list(expected)), " ".join(_word_list(predicted))
    return a in b or b in a


@dataclass
class ReportScore:
    lessons: int
    lessons_by_sentence: int
    lessons_total: int
    lessons_keywords: int
    logistics: int
    insights: int
    actions_predicted: int
    actions_expected: int
    actions_matched: int
    owners_right: int
    dues_right: int
    not_actions_hit: int
    dues_said: int = 0  # matched actions whose annotation names when (`due` not null)
    dues_said_right: int = 0  # of those, the found due names the same (words, or the same day)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def precision(self) -> float | None:
        return self.actions_matched / self.actions_predicted if self.actions_predicted else None

    @property
    def recall(self) -> float | None:
        return self.actions_matched / self.actions_expected if self.actions_expected else None


@dataclass(frozen=True)
class PlacedInsight:
    text: str
    title: str
    sentence_lines: tuple[int, ...]  # lines of the insight's own sentence
    quote_lines: tuple[int, ...]  # lines of all its quotes (the sentence's included)


@dataclass(frozen=True)
class PlacedAction:
    owner: str | None
    due: str | None
    text: str
    line: int | None
    due_date: str | None = None  # ISO day, when the method resolved the due words against a session date


def keyword_hit(alternatives: Sequence[str], text: str) -> bool:
    lowered = text.lower()
    return any(alt.lower() in lowered for alt in alternatives)


def due_right(expected: str, action: PlacedAction, resolve: Callable[[str], str | None] | None = None) -> bool:
    """Whether a found action's due names what the annotation's `due` names: the same words (`due_matches`), or,
    when the method gave an ISO `due_date`, the day `resolve` makes of the annotated words."""
    if due_matches(expected, action.due):
        return True
    return resolve is not None and action.due_date is not None and resolve(expected) == action.due_date


def accepted_lines(expected: dict[str, Any], said: Mapping[int, str] | None) -> list[set[int]]:
    """For each annotated action, the lines a found action may come from: its own line(s), and for a request
    ("Kun jij …?" — "Ja, doe ik") the other line of the pair: the next said line when the annotated line asks (a `?`
    on it, as report2's README annotates requests), the line before when that one asks (the older sets annotate the
    answer), unless that other line is annotated itself (another action or a not-action)."""
    wanted = expected.get("actions", [])
    annotated = {n for item in wanted + expected.get("not_actions", []) for n in _as_list(item["line"])}
    numbers = sorted(said) if said else []
    accepted = []
    for item in wanted:
        lines = set(_as_list(item["line"]))
        if said:
            after = [n for n in numbers if n > max(lines)]
            before = [n for n in numbers if n < min(lines)]
            if after and after[0] not in annotated and any("?" in said.get(n, "") for n in lines):
                lines.add(after[0])
            if before and before[-1] not in annotated and "?" in said.get(before[-1], ""):
                lines.add(before[-1])
        accepted.append(lines)
    return accepted


def match_actions(expected: dict[str, Any], actions: Sequence[PlacedAction],
                  said: Mapping[int, str] | None = None) -> dict[int, PlacedAction]:
    """Annotated action index -> the found action that matches it: found on one of its `accepted_lines`, each
    annotated action matched once. Where two annotated actions share a line, one said on the line itself goes
    before one on the other line of a request, and among those the one with the same owner and due first, then the
    one with the same owner."""
    wanted = expected.get("actions", [])
    accepted = accepted_lines(expected, said)
    matched: dict[int, PlacedAction] = {}
    for action in actions:
        if action.line is None:
            continue
        candidates = [k for k in range(len(wanted)) if k not in matched and action.line in accepted[k]]
        if not candidates:
            continue
        candidates = [k for k in candidates if action.line in _as_list(wanted[k]["line"])] or candidates
        owner = [k for k in candidates if owner_matches(wanted[k]["owner"], action.owner)]
        due = [k for k in owner if due_matches(wanted[k].get("due"), action.due)]
        matched[(due or owner or candidates)[0]] = action
    return matched


def score_report(expected: dict[str, Any], insights: Sequence[PlacedInsight],
                 actions: Sequence[PlacedAction], said: Mapping[int, str] | None = None,
                 resolve_due: Callable[[str], str | None] | None = None) -> ReportScore:
    """Lessons found, logistics ranked and actions right for one annotated transcript (see tests/data/insights/).

    Args:
        said: file line number -> what was said on it (`said_lines`); with it, a request's answer on the next line
            counts for the request (`accepted_lines`).
        resolve_due: annotated due words -> ISO day, to compare with a found action's `due_date`.
    """
    lessons = expected.get("lessons", [])
    found, by_sentence, by_keywords = set(), set(), set()
    for k, lesson in enumerate(lessons):
        lines = set(lesson["lines"])
        for insight in insights:
            if lines & set(insight.quote_lines) or lines & set(insight.sentence_lines):
                found.add(k)
            if lines & set(insight.sentence_lines):
                by_sentence.add(k)
            if keyword_hit(lesson.get("keywords", []), insight.text):
                by_keywords.add(k)
    logistics_lines = {line for item in expected.get("logistics", []) for line in item["lines"]}
    logistics = sum(1 for i in insights if logistics_lines & set(i.sentence_lines))

    wanted = expected.get("actions", [])
    matched = match_actions(expected, actions, said)
    not_action_lines = {line for item in expected.get("not_actions", []) for line in _as_list(item["line"])}
    said_when = [k for k in matched if wanted[k].get("due")]
    unmatched = [a for a in actions if all(a is not m for m in matched.values())]
    return ReportScore(
        lessons=len(found), lessons_by_sentence=len(by_sentence), lessons_total=len(lessons),
        lessons_keywords=len(by_keywords), logistics=logistics, insights=len(insights),
        actions_predicted=len(actions), actions_expected=len(wanted), actions_matched=len(matched),
        owners_right=sum(1 for k, a in matched.items() if owner_matches(wanted[k]["owner"], a.owner)),
        dues_right=sum(1 for k, a in matched.items() if due_matches(wanted[k].get("due"), a.due)),
        not_actions_hit=sum(1 for a in actions if a.line in not_action_lines),
        dues_said=len(said_when),
        dues_said_right=sum(1 for k in said_when if due_right(wanted[k]["due"], matched[k], resolve_due)),
        details={"lessons_found": sorted(lessons[k]["id"] for k in found),
                 "lessons_missed": sorted(lessons[k]["id"] for k in range(len(lessons)) if k not in found),
                 "actions_missed": [{"line": wanted[k]["line"], "owner": wanted[k]["owner"],
                                     "what": wanted[k].get("what")} for k in range(len(wanted)) if k not in matched],
                 "actions_wrong": [{"line": a.line, "owner": a.owner, "text": a.text,
                                    "on": "not-action line" if a.line in not_action_lines else "other line"}
                                   for a in unmatched],
                 "owners_wrong": [{"line": wanted[k]["line"], "expected": wanted[k]["owner"], "found": a.owner}
                                  for k, a in sorted(matched.items())
                                  if not owner_matches(wanted[k]["owner"], a.owner)],
                 "dues_wrong": [{"line": wanted[k]["line"], "expected": wanted[k]["due"], "found": matched[k].due,
                                 "found_date": matched[k].due_date}
                                for k in sorted(said_when)
                                if not due_right(wanted[k]["due"], matched[k], resolve_due)]})


# ---------------------------------------------------------------- titles

# Titles issue 24 names as ones a facilitator would not keep; none may come back.
WEAK_TITLES = ("Tweede", "Gezegd", "Fout", "Klas", "Les", "Leerlingen", "Naartoe werken", "Huisarts en nieuw",
               "Helft van de tijd", "Thema van vandaag", "Stroopwafels", "Vast", "Leidinggemenen")
_WEAK = {" ".join(_word_list(t)) for t in WEAK_TITLES}


def single_word(title: str) -> bool:
    """A title of one word (as a reader sees it: no space inside)."""
    return len(title.split()) == 1


def weak_title(title: str) -> bool:
    """One of `WEAK_TITLES` (case and punctuation ignored)."""
    return " ".join(_word_list(title)) in _WEAK


# ---------------------------------------------------------------- phases

def phase_offsets(found: Iterable[tuple[str, float]], expected: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """Seconds between each expected phase start and the start found for that phase (None: not found).

    Args:
        found: (phase, start) of every phase found; a phase found twice (a second case) counts at its last start.
        expected: the annotation's `phases` rows (`phase`, `start` in seconds).
    """
    starts = dict(found)
    return {row["phase"]: (round(starts[row["phase"]] - row["start"], 1) if row["phase"] in starts else None)
            for row in expected}


def within(offsets: Mapping[str, float | None], tolerance: float) -> int:
    """How many phase starts were found within `tolerance` seconds."""
    return sum(1 for v in offsets.values() if v is not None and abs(v) <= tolerance)


def _as_list(value: Any) -> list[int]:
    return list(value) if isinstance(value, list) else [value]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table, columns padded to their widest cell."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
