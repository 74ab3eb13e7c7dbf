"""The data that passes between stages. Frozen dataclasses; `to_dict`/`from_dict` are the JSON artefacts.

The JSON keys are a public interface (see README, "Artefacts"): keys are only ever added, never renamed.
`from_dict` ignores keys it does not know, so files written by a newer Oogst still load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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

    @property
    def words_estimated(self) -> bool:
        """The words' times are spread evenly over their cue (an imported transcript): no real word timing."""
        return bool(self.extra.get("words_estimated"))

    @property
    def recogniser(self) -> str:
        """The model behind this transcript in words for the draft's last line: `Whisper large-v3 (faster-whisper,
        float16, sha256 e5b1a55b89c1)`; never a path (transcript.json holds none)."""
        details = [str(v) for v in (self.extra.get("backend"), self.extra.get("precision")) if v]
        digest = self.extra.get("model_sha256")
        if digest:
            details.append(f"sha256 {str(digest)[:12]}")
        return f"Whisper {self.model.removeprefix('whisper-')}" + (f" ({', '.join(details)})" if details else "")

    def with_extra(self, **keys: Any) -> Transcript:
        """The same transcript with these open metadata keys added (e.g. the session's source, date, title)."""
        return replace(self, extra={**self.extra, **keys})

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
    """A turn: `speaker` is a label ("S1"..) or, for imported transcripts, the name itself; `id` stays the same on
    every re-run (`turn_id`: from the start of the diarization's turn; a part split off gets `<id>w<word>`)."""

    id: str = field(default="", compare=False)  # derived from the start: two turns alike are equal with or without

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "id": self.id} if self.id else super().to_dict()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        return cls(str(d["speaker"]), float(d["start"]), float(d["end"]), str(d["text"]), str(d.get("id") or ""))


def turn_id(start: float) -> str:
    """A turn's id from the start of its turn in diarization.json (centiseconds): the same on every re-run."""
    return f"t{round(float(start) * 100)}"


def with_ids(turns: Sequence[Turn]) -> tuple[Turn, ...]:
    """The turns, each with an id: those without one (diarization.json, a turns.json written before ids) get
    `turn_id` of their start, made unique in order ("_2", "_3" for turns that start at the same moment; a Word
    bookmark name takes no "-")."""
    taken = {t.id for t in turns if t.id}
    out = []
    for turn in turns:
        if not turn.id:
            base = new = turn_id(turn.start)
            n = 1
            while new in taken:
                n += 1
                new = f"{base}_{n}"
            taken.add(new)
            turn = replace(turn, id=new)
        out.append(turn)
    return tuple(out)


PHASE_ORDER = ("opening", "casus", "questions", "advice", "reaction", "closing")  # an intervision's phases


@dataclass(frozen=True)
class Phase:
    """One phase of an intervision in turns.json and insights.json (`insights.phases` finds them)."""

    phase: str  # one of PHASE_ORDER
    label: str  # in the session's language
    start: float
    end: float
    evidence: str  # the procedural sentence, or the pattern that placed it
    case: int | None = None  # which case (1, 2, ...) a casus, questions, advice or reaction phase belongs to

    def to_dict(self) -> dict[str, Any]:
        row = {"phase": self.phase, "label": self.label, "start": round(self.start, 2), "end": round(self.end, 2),
               "evidence": self.evidence}
        return row if self.case is None else {**row, "case": self.case}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Phase:
        return cls(str(d["phase"]), str(d["label"]), float(d["start"]), float(d["end"]), str(d.get("evidence", "")),
                   d.get("case"))


@dataclass(frozen=True)
class PhaseResult:
    """The phases found in a conversation, or the reason there are none."""

    phases: tuple[Phase, ...]
    reason: str | None = None  # why none were found
    case_bringers: tuple[str, ...] = ()  # display names, one per case
    found_by: str | None = None  # "cues" (announced moves), "pattern" (the turn-taking alone) or "analysis" (the
    # turn-taking and the moves in Frog's analysis); None: not found
    method: str | None = None  # balint, roddelmethode, incident, socratisch, vrij; None: not recognised
    method_reason: str | None = None  # why this method, or why none was recognised

    KEYS = ("phases", "phases_found", "phases_reason", "case_bringers", "phases_found_by", "method", "method_reason")

    @property
    def found(self) -> bool:
        return bool(self.phases)

    def to_dict(self) -> dict[str, Any]:
        """The keys turns.json and insights.json gain."""
        out: dict[str, Any] = {"phases": [p.to_dict() for p in self.phases], "phases_found": self.found}
        if self.reason:
            out["phases_reason"] = self.reason
        if self.case_bringers:
            out["case_bringers"] = list(self.case_bringers)
        if self.found and self.found_by:
            out["phases_found_by"] = self.found_by
        out["method"] = self.method
        if self.method_reason:
            out["method_reason"] = self.method_reason
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PhaseResult | None:
        """The phases recorded in an artefact; None when it predates them (no "phases_found")."""
        if "phases_found" not in d:
            return None
        return cls(tuple(Phase.from_dict(p) for p in d.get("phases", [])), d.get("phases_reason"),
                   tuple(d.get("case_bringers", ())), d.get("phases_found_by"), d.get("method"),
                   d.get("method_reason"))


def _open(d: dict[str, Any], known: set[str] | tuple[str, ...]) -> dict[str, Any]:
    """The keys of an artefact that no typed field holds: open metadata, kept as they are."""
    return {k: v for k, v in d.items() if k not in known}


@dataclass(frozen=True)
class Turns:
    """turns.json: `{"speakers": {"S1": "<display name>"}, "turns": [{"speaker", "start", "end", "text"}]}`, with the
    lines corrected by hand (`corrected`, their start times) and the intervision phases."""

    speakers: dict[str, str]
    turns: tuple[Turn, ...]
    extra: dict[str, Any] = field(default_factory=dict)  # open metadata, e.g. "source", "imported"
    corrected: tuple[str, ...] = ()  # `layers.time_key` of every turn whose text was corrected by hand
    phases: PhaseResult | None = None  # None: not looked for yet

    def name(self, label: str) -> str:
        """The display name of a speaker label (the label itself when it has none)."""
        return self.speakers.get(label) or label

    def at(self, seconds: float) -> int | None:
        """The index of the turn said at a moment: the last to start by then (a word may start a hair early)."""
        return ([n for n, t in enumerate(self.turns) if t.start <= seconds + 0.01] or [0])[-1] if self.turns else None

    def to_dict(self) -> dict[str, Any]:
        return {"speakers": dict(self.speakers), **self.extra,
                **({"corrected": list(self.corrected)} if self.corrected else {}),
                **(self.phases.to_dict() if self.phases is not None else {}),
                "turns": [t.to_dict() for t in self.turns]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turns:
        known = {"speakers", "turns", "corrected", *PhaseResult.KEYS}
        return cls({str(k): str(v) for k, v in d["speakers"].items()},
                   with_ids([Turn.from_dict(t) for t in d["turns"]]), _open(d, known),
                   tuple(str(c) for c in d.get("corrected", ())), PhaseResult.from_dict(d))


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

    # Marks the later steps put on an insight; kept with the open metadata so the JSON keeps its keys and order.
    @property
    def key(self) -> str | None:
        """The edits layer's key (`layers.text_key` of the original text, or "added-..." for a promoted line)."""
        value = self.extra.get("key")
        return str(value) if value is not None else None

    @property
    def phase(self) -> str | None:
        """The intervision phase its sentence was said in (None: outside any, or not looked for)."""
        value = self.extra.get("phase")
        return str(value) if value is not None else None

    @property
    def edited(self) -> bool:
        return bool(self.extra.get("edited"))

    @property
    def dropped(self) -> bool:
        return bool(self.extra.get("dropped"))

    @property
    def original_text(self) -> str | None:
        value = self.extra.get("original_text")
        return str(value) if value is not None else None

    @property
    def votes(self) -> dict[str, Any] | None:
        """The review's votes on it (final.json)."""
        value = self.extra.get("votes")
        return value if isinstance(value, dict) else None

    @property
    def source(self) -> str | None:
        """Who wrote its text: "llm" or "extractive" (the generative backend)."""
        value = self.extra.get("source")
        return str(value) if value is not None else None

    @property
    def reworded_by(self) -> str | None:
        """The reviewer whose rewording the final took (final.json)."""
        value = self.extra.get("reworded_by")
        return str(value) if value is not None else None

    @property
    def added(self) -> bool:
        """A missing insight the reviewers proposed (final.json)."""
        return bool(self.extra.get("added"))

    def mark(self, **marks: Any) -> Insight:
        """The same insight with these marks added (phase, key, edited, original_text, dropped, votes, source, ...)."""
        return replace(self, extra={**self.extra, **marks})

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
    id: str | None = None  # stays when others are added, dropped or reworded (`layers.action_id`); None: not set

    def to_dict(self) -> dict[str, Any]:
        out = _with_confidence({"owner": self.owner, "text": self.text, "due": self.due, "start": _f(self.start),
                                "due_date": self.due_date}, self.confidence)
        return out if self.id is None else {**out, "id": self.id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Action:
        return cls(d.get("owner"), str(d["text"]), d.get("due"), float(d.get("start", 0.0)), d.get("due_date"),
                   _confidence(d.get("confidence")), str(d["id"]) if d.get("id") else None)


@dataclass(frozen=True)
class SummarySentence:
    """A sentence of the summary: what someone said (cleaned of fillers), who, and when."""

    text: str
    speaker: str
    start: float
    end: float
    line: int | None = None  # its line in `summary` (1-based: the draft's bookmark oogst_summary_<line>)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "speaker": self.speaker, "start": _f(self.start), "end": _f(self.end),
                "line": self.line}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SummarySentence:
        return cls(str(d["text"]), str(d.get("speaker") or ""), float(d.get("start", 0.0)), float(d.get("end", 0.0)),
                   d.get("line"))


@dataclass(frozen=True)
class SummarySection:
    """A paragraph of the summary: a phase of an intervision (or a theme), a linking phrase naming who and which
    phase, and the sentences said (insights.json's `summary_sections`)."""

    heading: str
    phase: str | None  # an intervision's phase (PHASE_ORDER), None for a theme or the agreements
    lead: str  # the linking phrase ("" for none)
    sentences: tuple[SummarySentence, ...]
    person: str = ""  # whom the linking phrase names (the case-bringer); others' sentences name their speaker
    written: str | None = None  # the facilitator's paragraph in its place (edits.json "summary"); None: as said

    def said(self, sentence: SummarySentence) -> str:
        """A sentence as the paragraph shows it: with its speaker in brackets unless the lead names them."""
        if not sentence.speaker or sentence.speaker == self.person:
            return sentence.text
        return f"{sentence.text[:-1] if sentence.text[-1:] in '.!' else sentence.text} ({sentence.speaker})" + \
            (sentence.text[-1] if sentence.text[-1:] in ".!" else "")

    @property
    def said_text(self) -> str:
        """The paragraph as running text, as said: the linking phrase and the sentences."""
        return " ".join([self.lead] * bool(self.lead) + [self.said(s) for s in self.sentences])

    @property
    def text(self) -> str:
        """The paragraph as shown: the facilitator's when they wrote one, else as said."""
        return self.said_text if self.written is None else self.written

    def to_dict(self) -> dict[str, Any]:
        edited = {} if self.written is None else {"edited": True, "original_text": self.said_text}
        return {"heading": self.heading, "phase": self.phase, "lead": self.lead, "person": self.person,
                "text": self.text, "sentences": [s.to_dict() for s in self.sentences], **edited}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SummarySection:
        return cls(str(d.get("heading") or ""), d.get("phase"), str(d.get("lead") or ""),
                   tuple(SummarySentence.from_dict(s) for s in d.get("sentences", [])), str(d.get("person") or ""),
                   str(d["text"]) if d.get("edited") else None)


@dataclass(frozen=True)
class Insights:
    """insights.json (and final.json, which adds keys): language, summary, ranked insights, actions, phases."""

    language: str
    summary: tuple[str, ...]
    insights: tuple[Insight, ...]
    actions: tuple[Action, ...]
    extra: dict[str, Any] = field(default_factory=dict)  # open metadata: "generated_by", "fewer_reason", ...
    phases: PhaseResult | None = None  # the conversation's phases, as in turns.json
    sections: tuple[SummarySection, ...] | None = None  # the summary as paragraphs ("summary_sections")

    @property
    def llm_error(self) -> str | None:
        """Why the generative backend failed (its extractive stand-in is not cached)."""
        value = self.extra.get("llm_error")
        return str(value) if value is not None else None

    @property
    def generated_by(self) -> dict[str, Any] | None:
        """Which model and server wrote the text (--insights llm)."""
        value = self.extra.get("generated_by")
        return value if isinstance(value, dict) else None

    @property
    def sources(self) -> dict[str, str]:
        """Which backend wrote the summary and the actions ("llm" or "extractive")."""
        value = self.extra.get("sources")
        return dict(value) if isinstance(value, dict) else {}

    @property
    def title(self) -> str | None:
        value = self.extra.get("title")
        return str(value) if value else None

    @property
    def reviewers(self) -> list[str] | None:
        """Who commented (final.json)."""
        value = self.extra.get("reviewers")
        return [str(r) for r in value] if isinstance(value, list) else None

    def has(self, key: str) -> bool:
        """Whether this open metadata key is there."""
        return key in self.extra

    def with_extra(self, **keys: Any) -> Insights:
        """The same insights with these open metadata keys added."""
        return replace(self, extra={**self.extra, **keys})

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "summary": list(self.summary),
                "insights": [i.to_dict() for i in self.insights],
                "actions": [a.to_dict() for a in self.actions],
                **({"summary_sections": [s.to_dict() for s in self.sections]} if self.sections is not None else {}),
                **self.extra, **(self.phases.to_dict() if self.phases is not None else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Insights:
        known = {"language", "summary", "insights", "actions", "summary_sections", *PhaseResult.KEYS}
        sections = d.get("summary_sections")
        return cls(str(d["language"]), tuple(d.get("summary", [])),
                   tuple(Insight.from_dict(i) for i in d.get("insights", [])),
                   tuple(Action.from_dict(a) for a in d.get("actions", [])), _open(d, known), PhaseResult.from_dict(d),
                   tuple(SummarySection.from_dict(s) for s in sections) if isinstance(sections, list) else None)


@dataclass(frozen=True)
class Recognised:
    """How well a session's speech was recognised, from transcript.json's word probabilities: what the session
    page, the top 7 page and the draft warn with. Made by `insights.confidence.recognised`, which holds the
    thresholds; they travel with it so no front end spells them."""

    words: int  # Whisper's words (pieces joined into whole words)
    uncertain: int  # of them, those under `word_low`
    poor: bool  # so many uncertain that the top 7 is likely built on misheard words
    word_low: float  # a word under this probability is uncertain (marked on the transcript page and in the draft)
    sentence_low: float  # a text whose words' mean probability is under this was probably misheard
    mean_log: float = 0.0  # the words' mean log-probability, which `poor` is judged by

    @property
    def share(self) -> float:
        """The share of the words that is uncertain."""
        return self.uncertain / self.words if self.words else 0.0

    def unsure(self, insight: Insight) -> bool:
        """Built on uncertain words: its text's mean word probability is low, and nobody reworded it since."""
        reworded = insight.original_text is not None and insight.text != insight.original_text
        return not reworded and insight.confidence is not None and insight.confidence < self.sentence_low


# -- one run of one input: the CLI's call and a job's parameters ------------------------------------------------------
@dataclass(frozen=True)
class RunRequest:
    """What to run on one recording or transcript. `to_params` is a job's payload (its keys are a public interface:
    queued jobs of earlier versions still run and deduplicate); `service.Oogst.checked` validates it once."""

    input: str  # the recording or transcript file
    title: str | None = None
    date: str | None = None  # YYYY-MM-DD
    language: str | None = None
    speakers: int | None = None
    vocabulary: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    pseudonymise: bool | None = None
    participants: str | None = None
    start: str | None = None  # redo from this stage on ("transcribe": --force)
    until: str | None = None  # stop after this stage (the command line only)
    series: str | None = None
    remember_voices: bool | None = None
    rerun: bool = False  # a re-run after names, corrections or edits: the transcription is up to date
    model: str | None = None  # the Whisper model chosen for this session (a name; None: the session's, else default)
    compute_type: str | None = None  # its precision (with a job broker: which kind of worker runs it)
    keep_heard: bool = False  # keep transcription and speaker detection as they are (a follow-up; not a job's)

    PARAMS = ("title", "date", "language", "speakers", "vocabulary", "names", "pseudonymise", "participants",
              "start", "series", "remember_voices", "rerun", "model", "compute_type")
    SETTINGS = ("language", "speakers", "vocabulary", "names", "pseudonymise", "participants", "model",
                "compute_type")  # what it may set

    def to_params(self) -> dict[str, Any]:
        """The job's parameters: the given values only (None, "", empty and a False `rerun` are left out)."""
        out: dict[str, Any] = {}
        for name in self.PARAMS:
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = list(value)
            if value in (None, "", [], {}) or (name == "rerun" and not value):
                continue
            out[name] = value
        return out

    @classmethod
    def from_params(cls, input: str, params: dict[str, Any]) -> RunRequest:
        """A job's parameters as a request (unknown keys are ignored; nothing is checked here)."""
        given = {k: v for k, v in params.items() if k in cls.PARAMS and v is not None}
        if "vocabulary" in given:
            given["vocabulary"] = tuple(given["vocabulary"])
        if "names" in given:
            given["names"] = dict(given["names"])
        return cls(input, **given)

    def settings_values(self) -> dict[str, Any]:
        """The settings this request sets for its run (the rest come from the front end's settings)."""
        values = {k: getattr(self, k) for k in self.SETTINGS if getattr(self, k) not in (None, "", (), {})}
        if "language" in values:
            values["language_given"] = True  # an imported transcript is then read in it, whatever its text
        return values
