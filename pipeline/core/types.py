"""The data that passes between stages. Frozen dataclasses; `to_dict`/`from_dict` are the JSON artefacts.

The JSON keys are a public interface (see README, "Artefacts"): keys are only ever added, never renamed.
`from_dict` ignores keys it does not know, so files written by a newer Oogst still load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

SAMPLE_RATE = 16000  # audio between stages: mono float32 at 16 kHz, what Whisper and the speaker encoder take
TOP_N = 7  # the facilitator's recipe: a top 7


def _f(value: Any) -> float:
    return round(float(value), 3)


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str  # as Whisper gives it, usually with a leading space
    probability: float

    def to_dict(self) -> dict[str, Any]:
        return {"start": _f(self.start), "end": _f(self.end), "word": self.word,
                "probability": round(float(self.probability), 4)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(float(d["start"]), float(d["end"]), str(d["word"]), float(d.get("probability", 1.0)))


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"start": _f(self.start), "end": _f(self.end), "text": self.text,
                "words": [w.to_dict() for w in self.words]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        return cls(float(d["start"]), float(d["end"]), str(d["text"]),
                   tuple(Word.from_dict(w) for w in d.get("words", [])))


def shift_segment(seg: Segment, offset: float) -> Segment:
    """The same segment `offset` seconds later (earlier when negative), words included."""
    words = tuple(Word(w.start + offset, w.end + offset, w.word, w.probability) for w in seg.words)
    return Segment(seg.start + offset, seg.end + offset, seg.text, words)


@dataclass(frozen=True)
class Transcript:
    """transcript.json: `{"language", "duration", "model", "segments": [...]}`."""

    language: str
    duration: float
    model: str
    segments: tuple[Segment, ...]
    extra: dict[str, Any] = field(default_factory=dict)  # added keys, e.g. "source", "backend"

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "duration": _f(self.duration), "model": self.model,
                **self.extra, "segments": [s.to_dict() for s in self.segments]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Transcript:
        known = {"language", "duration", "model", "segments"}
        return cls(str(d["language"]), float(d["duration"]), str(d.get("model", "")),
                   tuple(Segment.from_dict(s) for s in d["segments"]),
                   {k: v for k, v in d.items() if k not in known})


@dataclass(frozen=True)
class SpeakerSpan:
    """Something one speaker said between two times: a turn of turns.json, or a quote of an insight."""

    speaker: str
    start: float  # seconds
    end: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "start": _f(self.start), "end": _f(self.end), "text": self.text}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        return cls(str(d["speaker"]), float(d["start"]), float(d["end"]), str(d["text"]))


@dataclass(frozen=True)
class Turn(SpeakerSpan):
    """A turn: `speaker` is a label ("S1"..) or, for imported transcripts, the name itself."""


@dataclass(frozen=True)
class Turns:
    """turns.json: `{"speakers": {"S1": "<display name>"}, "turns": [{"speaker", "start", "end", "text"}]}`."""

    speakers: dict[str, str]
    turns: tuple[Turn, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def name(self, label: str) -> str:
        """The display name of a speaker label (the label itself when it has none)."""
        return self.speakers.get(label) or label

    def to_dict(self) -> dict[str, Any]:
        return {"speakers": dict(self.speakers), **self.extra, "turns": [t.to_dict() for t in self.turns]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turns:
        known = {"speakers", "turns"}
        return cls({str(k): str(v) for k, v in d["speakers"].items()},
                   tuple(Turn.from_dict(t) for t in d["turns"]),
                   {k: v for k, v in d.items() if k not in known})


@dataclass(frozen=True)
class Quote(SpeakerSpan):
    """A verbatim sentence backing an insight: `speaker` is the display name."""

    confidence: float | None = None  # mean recogniser probability of its words; None: not known (imported text)

    def to_dict(self) -> dict[str, Any]:
        return _with_confidence(super().to_dict(), self.confidence)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        return cls(str(d["speaker"]), float(d["start"]), float(d["end"]), str(d["text"]),
                   _confidence(d.get("confidence")))


def _with_confidence(d: dict[str, Any], confidence: float | None) -> dict[str, Any]:
    """Add the "confidence" key only when it is known, so artefacts without probabilities look as before."""
    return d if confidence is None else {**d, "confidence": round(float(confidence), 4)}


def _confidence(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Insight:
    rank: int
    title: str  # 2-5 word theme
    text: str  # one clear sentence
    speakers: tuple[str, ...]
    score: float
    quotes: tuple[Quote, ...]
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. "votes" in final.json
    confidence: float | None = None  # mean recogniser probability of the words of `text`; None: not known

    def to_dict(self) -> dict[str, Any]:
        return _with_confidence({
            "rank": self.rank, "title": self.title, "text": self.text, "speakers": list(self.speakers),
            "score": round(float(self.score), 4), "quotes": [q.to_dict() for q in self.quotes], **self.extra},
            self.confidence)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Insight:
        known = {"rank", "title", "text", "speakers", "score", "quotes", "confidence"}
        return cls(int(d["rank"]), str(d["title"]), str(d["text"]), tuple(d.get("speakers", [])),
                   float(d.get("score", 0.0)), tuple(Quote.from_dict(q) for q in d.get("quotes", [])),
                   {k: v for k, v in d.items() if k not in known}, _confidence(d.get("confidence")))


@dataclass(frozen=True)
class Action:
    owner: str | None
    text: str
    due: str | None
    start: float
    due_date: str | None = None  # ISO day the due words name, when the session date was known
    confidence: float | None = None  # mean recogniser probability of the words of `text`; None: not known

    def to_dict(self) -> dict[str, Any]:
        return _with_confidence({"owner": self.owner, "text": self.text, "due": self.due, "start": _f(self.start),
                                 "due_date": self.due_date}, self.confidence)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Action:
        return cls(d.get("owner"), str(d["text"]), d.get("due"), float(d.get("start", 0.0)), d.get("due_date"),
                   _confidence(d.get("confidence")))


@dataclass(frozen=True)
class Insights:
    """insights.json (and final.json, which adds keys): language, summary, ranked insights, actions."""

    language: str
    summary: tuple[str, ...]
    insights: tuple[Insight, ...]
    actions: tuple[Action, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "summary": list(self.summary),
                "insights": [i.to_dict() for i in self.insights],
                "actions": [a.to_dict() for a in self.actions], **self.extra}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Insights:
        known = {"language", "summary", "insights", "actions"}
        return cls(str(d["language"]), tuple(d.get("summary", [])),
                   tuple(Insight.from_dict(i) for i in d.get("insights", [])),
                   tuple(Action.from_dict(a) for a in d.get("actions", [])),
                   {k: v for k, v in d.items() if k not in known})
