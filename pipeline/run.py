"""The stage runner: one recording (or transcript) -> a session folder, stage by stage, each cached.

Stages and their artefacts (`STAGES`, the one list of them):
    transcribe  transcript.json   (audio: decode + Whisper; imported transcripts: parsed from the file)
    speakers    diarization.json  (who spoke when, labels S1..; imported transcripts: names from the file)
    analysis    analysis.json     (Dutch: Frog's analysis of every turn's corrected text, per turn by its hash;
                                   other languages, or no Frog: "rules", the word lists)
    names       turns.json        (diarization + names.toml / --names + corrections + find and replace + phases; cheap)
    insights    insights.json
    draft       draft.docx
Each stage is a small object that owns its inputs, outputs, cache key and version. A stage runs when its key (hash
of its inputs and of the settings that change its output) differs from the one recorded in `.stages.json`, or when
its artefact is missing or changed; otherwise it is skipped. The series, pseudonymisation and the generative
backend plug in at named points (`core.stages.Extension`); the runner knows none of them.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.errors import AudioError, ConfigError, InputError
from pipeline.core.language import date_from, session_name, title_from
from pipeline.core.layers import apply_corrections, apply_edits, carry_section_edits
from pipeline.core.session import (
    ANALYSIS,
    CHECKPOINT,
    CORRECTIONS,
    DIARIZATION,
    DRAFT,
    EDITS,
    INSIGHTS,
    NAMES,
    REPLACEMENTS,
    RUN,
    SPEAKER_CHANGES,
    TRANSCRIPT,
    TURNS,
    Session,
    cache_key,
)
from pipeline.core.settings import Settings
from pipeline.core.stages import Extension, Reporter, RunContext, SilentReporter
from pipeline.core.types import SAMPLE_RATE, SummarySection, Transcript, Turns
from pipeline.ingest.audio import is_audio_file, load_audio
from pipeline.ingest.importers import SUFFIXES as TRANSCRIPT_SUFFIXES

if TYPE_CHECKING:
    import numpy as np

    from pipeline.asr.transcribe import TranscribeOptions

log = logging.getLogger(__name__)

FOLDER_TRANSCRIPT_SUFFIXES = frozenset({".vtt", ".srt"})  # .txt/.docx in a folder may be notes: name them
Progress = Callable[[float], None] | None


class Stage:
    """One step of the runner: what it writes, its cache key, and the work."""

    name = ""

    def applies(self, ctx: RunContext) -> bool:
        return True

    def artefacts(self, ctx: RunContext) -> list[str]:
        raise NotImplementedError

    def key(self, ctx: RunContext, plugs: Sequence[Extension]) -> str:
        raise NotImplementedError

    def total(self, ctx: RunContext) -> float | None:
        """Audio seconds it walks through (a progress bar in audio time), else None."""
        return None

    def prepare(self, ctx: RunContext, plugs: Sequence[Extension]) -> None:
        """Before the key: what the key reads must be in place."""
        return None

    def run(self, ctx: RunContext, plugs: Sequence[Extension], progress: Progress) -> bool:
        """Do the work; False when what it wrote must not be cached (a stand-in, asked again next run)."""
        raise NotImplementedError


def transcribe_options(settings: Settings) -> TranscribeOptions:
    """The transcription options the settings give (the worker uses them to keep a recogniser loaded)."""
    from pipeline.asr.transcribe import TranscribeOptions

    return TranscribeOptions(language=settings.language, model=settings.model, backend=settings.backend,
                             compute_type=settings.compute_type, batched=settings.batched,
                             beam_size=settings.beam_size, threads=settings.threads,
                             vocabulary=settings.vocabulary, models_dir=settings.models_dir)


def _with_meta(transcript: Transcript, ctx: RunContext) -> Transcript:
    return transcript.with_extra(**ctx.meta)


class Transcribe(Stage):
    """Audio -> transcript.json (decode + Whisper, checkpointed); a transcript file -> transcript.json and
    diarization.json (the speakers come from the file)."""

    name = "transcribe"

    def __init__(self) -> None:
        self._imports: dict[int, Any] = {}

    def imported(self, ctx: RunContext) -> tuple[Transcript, Any, str | None]:
        """The transcript file read in its language (see `core.language.resolve_language`) and the line to say
        about that language, once per run."""
        if id(ctx) not in self._imports:
            from pipeline.core.language import DEFAULT_LANGUAGE, resolve_language
            from pipeline.ingest.importers import import_transcript

            requested = ctx.settings.language
            transcript, turns = import_transcript(ctx.source, language=requested)
            given = ctx.settings.language_given or requested != DEFAULT_LANGUAGE  # another one was chosen somewhere
            language, note = resolve_language(" ".join(t.text for t in turns.turns), requested, given=given)
            if language != requested:
                transcript, turns = import_transcript(ctx.source, language=language)
            self._imports = {id(ctx): (transcript, turns, note)}
        return self._imports[id(ctx)]

    def artefacts(self, ctx: RunContext) -> list[str]:
        return [TRANSCRIPT, DIARIZATION] if ctx.imported else [TRANSCRIPT]

    def key(self, ctx: RunContext, plugs: Sequence[Extension]) -> str:
        if ctx.imported:  # the language it is read in: the same key as before for a session whose language stays
            return cache_key("import", ctx.source_hash, self.imported(ctx)[0].language, ctx.meta)
        return cache_key("asr", ctx.source_hash, transcribe_options(ctx.settings).cache_settings(), ctx.meta)

    def total(self, ctx: RunContext) -> float | None:
        return None if ctx.imported else len(ctx.audio()) / SAMPLE_RATE

    def run(self, ctx: RunContext, plugs: Sequence[Extension], progress: Progress) -> bool:
        session = ctx.session
        if ctx.imported:
            transcript, turns, note = self.imported(ctx)
            if note is not None:
                log.warning("%s: %s", ctx.source.name, note)
            session.write(TRANSCRIPT, _with_meta(transcript, ctx).to_dict())
            session.write(DIARIZATION, turns.to_dict())
            return True
        from pipeline.asr.transcribe import transcribe

        samples = ctx.audio()
        checkpoint = session.path(CHECKPOINT)
        transcript = transcribe(samples, transcribe_options(ctx.settings), progress, checkpoint=checkpoint,
                                backend=ctx.asr_backend)
        if not transcript.segments:
            raise AudioError(f"{ctx.source}: no speech found in {len(samples) / SAMPLE_RATE:.0f} s of audio "
                             "(only silence or noise); nothing to transcribe")
        session.write(TRANSCRIPT, _with_meta(transcript, ctx).to_dict())
        checkpoint.unlink(missing_ok=True)
        return True


class Speakers(Stage):
    """transcript.json + audio -> diarization.json (who spoke when)."""

    name = "speakers"

    def applies(self, ctx: RunContext) -> bool:
        return not ctx.imported

    def artefacts(self, ctx: RunContext) -> list[str]:
        return [DIARIZATION]

    def key(self, ctx: RunContext, plugs: Sequence[Extension]) -> str:
        return cache_key("speakers", ctx.session.artefact_hash(TRANSCRIPT), ctx.settings.speakers)

    def total(self, ctx: RunContext) -> float | None:
        return len(ctx.audio()) / SAMPLE_RATE

    def run(self, ctx: RunContext, plugs: Sequence[Extension], progress: Progress) -> bool:
        from pipeline.speakers.diarize import diarize

        turns = diarize(ctx.audio(), ctx.session.transcript(), num_speakers=ctx.settings.speakers,
                        progress=progress)
        ctx.session.write(DIARIZATION, turns.to_dict())
        return True


def corrected_texts(session: Session) -> list[str]:
    """Every turn's text with the corrections made by hand and the find-and-replace rules (what the analysis and the
    names stage read)."""
    from pipeline.core.replace import apply_rules
    from pipeline.speakers.per_turn import split_ids

    corrections = session.corrections()
    turns = apply_corrections(session.diarization(), corrections, later=split_ids(session.speaker_changes()))
    return [t.text for t in apply_rules(turns, session.replacements(), corrections).turns]


class Analyse(Stage):
    """The turns' corrected texts -> analysis.json: Frog's analysis for Dutch (tokens, tags, lemmas, entities,
    dependencies), only the texts not analysed before; "rules" for another language or without Frog."""

    name = "analysis"

    def artefacts(self, ctx: RunContext) -> list[str]:
        return [ANALYSIS]

    def prepare(self, ctx: RunContext, plugs: Sequence[Extension]) -> None:
        carry(ctx.session)  # corrections made on an earlier transcript go where their text is now, first

    def key(self, ctx: RunContext, plugs: Sequence[Extension]) -> str:
        from pipeline.analysis.frog import choose

        _, engine = choose(ctx.language())
        return cache_key("analysis", engine, corrected_texts(ctx.session))

    def run(self, ctx: RunContext, plugs: Sequence[Extension], progress: Progress) -> bool:
        from pipeline.analysis.frog import choose
        from pipeline.analysis.types import analyse_turns, from_dict, to_dict

        session = ctx.session
        analyser, engine = choose(ctx.language())
        found = {}
        if analyser is not None:
            previous = from_dict(session.read_if(ANALYSIS) or {}, engine=engine if isinstance(engine, dict) else None)
            found = analyse_turns(corrected_texts(session), previous, analyser=analyser, progress=progress)
        session.write(ANALYSIS, to_dict(found, engine if isinstance(engine, dict) else {"engine": engine}))
        return True


def session_analysis(session: Session) -> tuple[dict[str, Any] | None, dict[str, Any] | str]:
    """The session's analysis per text key (None when the rules read it) and its engine ("rules" or Frog's)."""
    from pipeline.analysis.frog import RULES
    from pipeline.analysis.types import from_dict

    data = session.read_if(ANALYSIS) or {}
    engine = data.get("engine") or {"engine": RULES}
    if not isinstance(engine, dict) or engine.get("engine") == RULES:
        return None, RULES
    return from_dict(data), engine


class Names(Stage):
    """diarization.json + names (proposed, names.toml, --names) + corrections -> turns.json with the phases."""

    name = "names"

    def artefacts(self, ctx: RunContext) -> list[str]:
        return [TURNS]

    def prepare(self, ctx: RunContext, plugs: Sequence[Extension]) -> None:
        from pipeline.speakers.per_turn import migrate_corrections

        migrate_corrections(ctx.session)  # `--from names`: the analysis stage did not rewrite them by ids
        for plug in plugs:
            plug.propose_names(ctx)

    def key(self, ctx: RunContext, plugs: Sequence[Extension]) -> str:
        from pipeline.insights.phases import PHASES_VERSION

        session = ctx.session
        corrections = session.hash_if(CORRECTIONS)
        changes = session.hash_if(SPEAKER_CHANGES)
        return cache_key("names", PHASES_VERSION, ctx.language(), session.artefact_hash(DIARIZATION),
                         session.hash_if(NAMES), ctx.settings.names, *([corrections] if corrections else []),
                         *([changes] if changes else []),
                         *[part for plug in plugs for part in plug.names_key(ctx)], session.artefact_hash(ANALYSIS),
                         *([rules] if (rules := session.hash_if(REPLACEMENTS)) else []))

    def run(self, ctx: RunContext, plugs: Sequence[Extension], progress: Progress) -> bool:
        from pipeline.core.replace import apply_rules
        from pipeline.insights.phases import turns_with_phases
        from pipeline.speakers.names import load_names, resolve_labels, with_names
        from pipeline.speakers.per_turn import split_ids

        session = ctx.session
        turns = session.diarization()
        names = ctx.settings.names
        given = resolve_labels(turns, names, source="--names") if names else {}
        proposed = {label: name for plug in plugs for label, name in plug.proposed_names(ctx).items()}
        chosen = {**proposed, **load_names(session), **given}
        turns = with_names(turns, {label: name for label, name in chosen.items() if label in turns.speakers})
        parts = split_ids(session.speaker_changes())  # their corrections wait for the split
        turns = apply_corrections(turns, session.corrections(), later=parts)  # lines corrected by hand (web page)
        turns = apply_rules(turns, session.replacements(), session.corrections())  # find and replace, after them
        turns = speakers_per_turn(session, turns, chosen)  # moved, split, merged (after the line corrections)
        analysis, _ = session_analysis(session)
        session.write(TURNS, turns_with_phases(turns, ctx.language(), analysis=analysis).to_dict())
        return True


def speakers_per_turn(session: Session, turns: Turns, names: dict[str, str]) -> Turns:
    """The names stage's step for speaker-changes.json: the changes in the order they were made, then the lines
    corrected on a part of a split turn (keyed by its id), then the names of the speakers a change made."""
    from pipeline.core.layers import apply_id_corrections
    from pipeline.speakers.names import with_names
    from pipeline.speakers.per_turn import apply_speaker_changes, recognised_words, split_ids

    changes = session.speaker_changes()
    if not changes:
        return turns
    turns = apply_id_corrections(apply_speaker_changes(turns, changes, recognised_words(session)),
                                 session.corrections(), split_ids(changes))
    gone = {str(c.get("from")) for c in changes if c.get("op") == "merge"}
    return with_names(turns, {label: name for label, name in names.items() if label not in gone})


class Insights(Stage):
    """turns.json (+ the words' probabilities) -> insights.json: summary, top 7, actions, phases."""

    name = "insights"

    def __init__(self) -> None:
        self._backends: dict[int, Any] = {}

    def backend(self, ctx: RunContext, plugs: Sequence[Extension]) -> Any:
        """The plugged backend (a generative model), else the extractive one; chosen once per run."""
        if id(ctx) not in self._backends:
            chosen = next((b for plug in plugs if (b := plug.insights_backend(ctx)) is not None), None)
            if chosen is None:
                from pipeline.insights.extract import ExtractiveBackend

                chosen = ExtractiveBackend()
            self._backends = {id(ctx): chosen}
        return self._backends[id(ctx)]

    def artefacts(self, ctx: RunContext) -> list[str]:
        return [INSIGHTS]

    def key(self, ctx: RunContext, plugs: Sequence[Extension]) -> str:
        backend = self.backend(ctx, plugs)
        parts = getattr(backend, "cache_parts", None)  # the generative backend: model, server, template
        session = ctx.session
        return cache_key("insights", session.artefact_hash(TURNS), session.artefact_hash(TRANSCRIPT),
                         ctx.language(), ctx.recorded.isoformat(), backend.name, backend.version,
                         *([parts()] if parts is not None else []), session.artefact_hash(ANALYSIS))

    def run(self, ctx: RunContext, plugs: Sequence[Extension], progress: Progress) -> bool:
        from pipeline.insights.extract import InsightContext, extract_insights
        from pipeline.insights.phases import insights_with_phases

        session = ctx.session
        turns = session.turns()
        transcript = session.transcript()
        analysis, engine = session_analysis(session)
        context = InsightContext(date=ctx.recorded, words=() if ctx.imported else tuple(transcript.words),
                                 analysis=analysis, model=transcript.model)
        insights = extract_insights(turns, language=ctx.language(), backend=self.backend(ctx, plugs),
                                    progress=progress, context=context)
        insights = insights_with_phases(insights, turns).with_extra(analysis=engine)  # the phases, each insight's
        session.write(INSIGHTS, insights.to_dict())
        carry_paragraphs(session, insights.sections)
        return insights.llm_error is None  # the extractive stand-in is not cached: the next run asks the model


class Draft(Stage):
    """turns.json + insights.json + the edits -> draft.docx (pseudonymised and with the series' sections when
    plugged in)."""

    name = "draft"

    def artefacts(self, ctx: RunContext) -> list[str]:
        return [DRAFT]

    def key(self, ctx: RunContext, plugs: Sequence[Extension]) -> str:
        session = ctx.session
        edits = session.hash_if(EDITS)
        return cache_key("draft", session.artefact_hash(TURNS), session.artefact_hash(INSIGHTS),
                         session.artefact_hash(TRANSCRIPT), ctx.meta,
                         *[part for plug in plugs for part in plug.shared_key(ctx)],
                         *([edits] if edits else []),
                         *[part for plug in plugs for part in plug.draft_key(ctx)])

    def run(self, ctx: RunContext, plugs: Sequence[Extension], progress: Progress) -> bool:
        from pipeline.insights.confidence import Recognition, recognised
        from pipeline.review.draft import write_draft

        session = ctx.session
        keep_edited(session, ctx.written_draft)
        turns = session.turns()
        insights = apply_edits(session.insights(), session.edits())  # the facilitator's edits (web page), if any
        transcript = session.transcript()
        # an import has no probabilities: no marks; the marks use the thresholds of the model that heard the words
        words = None if ctx.imported else Recognition(transcript.words, model=transcript.model)
        recognition = None if ctx.imported else recognised(transcript.words, transcript.model)  # warns when poor
        shared = next((s for plug in plugs if (s := plug.shared(ctx, turns, insights)) is not None), None)
        sections = [s for plug in plugs for s in plug.draft_sections(ctx, turns, insights, shared)]
        write_draft(session, turns, insights, title=ctx.title, date=ctx.recorded, words=words, shared=shared,
                    sections=sections, recogniser="" if ctx.imported else transcript.recogniser,
                    recognition=recognition)
        return True


def carry(session: Session) -> None:
    """Keep the corrections on the turns they belong to after a new transcript (another model) or new speakers: moved
    where their text aligns, the others listed in corrections.json under "unplaced" with a warning; a file keyed by
    the turns' starts (before turn ids) is rewritten by ids first. Before the analysis and names keys are taken, so
    the keys see the corrections as they are applied."""
    from pipeline.core.layers import carry_corrections
    from pipeline.speakers.per_turn import migrate_corrections, split_ids

    migrate_corrections(session)
    corrections, unplaced = session.corrections(), session.unplaced_corrections()
    if not corrections and not unplaced:
        return
    placed, left = carry_corrections(session.diarization(), corrections, unplaced,
                                     parts=split_ids(session.speaker_changes()))
    if placed != corrections or left != unplaced:
        session.save_corrections(placed, left)
        moved = sum(1 for key in placed if key not in corrections)
        if moved:
            log.info("%s: %d corrections moved to the turns they belong to now", session.name, moved)
    if left:
        log.warning("%s: %d correction%s made on an earlier transcript match%s no line of this one; kept in %s under "
                    "\"unplaced\" (first: %r)", session.name, len(left), "" if len(left) == 1 else "s",
                    "es" if len(left) == 1 else "", CORRECTIONS, str(left[0].get("text", ""))[:60])


def carry_paragraphs(session: Session, sections: tuple[SummarySection, ...] | None) -> None:
    """The summary's paragraphs the facilitator rewrote, after new insights: kept where their paragraph (same phase
    and heading) is still there, else moved to edits.json's "summary_dropped" with a warning (the overview page
    names them)."""
    edits, now = session.edits(), dt.datetime.now().astimezone().isoformat(timespec="seconds")
    carried = carry_section_edits(edits, sections, now=now)
    if carried is not edits:
        session.save_edits(carried)
        gone = [e.heading for e in carried.summary_dropped[len(edits.summary_dropped):]]
        log.warning("%s: the summary has no paragraph %s any more; your text for it is kept in %s under "
                    "\"summary_dropped\"", session.name, ", ".join(repr(h) for h in gone), EDITS)


STAGES: tuple[Stage, ...] = (Transcribe(), Speakers(), Analyse(), Names(), Insights(), Draft())
STAGE_NAMES = tuple(stage.name for stage in STAGES)


@dataclass
class RunResult:
    session: Session
    stage_seconds: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def artefacts(self) -> list[Path]:
        return [self.session.path(n) for n in (TRANSCRIPT, TURNS, INSIGHTS, DRAFT) if self.session.has(n)]


def collect_inputs(items: list[Path]) -> list[Path]:
    """Files as given; a folder gives every recording (and .vtt/.srt transcript) in it, sorted."""
    found: list[Path] = []
    for item in items:
        item = Path(item)
        if item.is_dir():
            found += sorted(p for p in item.iterdir() if p.is_file() and not p.name.startswith(".")
                            and (is_audio_file(p) or p.suffix.lower() in FOLDER_TRANSCRIPT_SUFFIXES))
        elif not item.exists():
            raise InputError(f"{item}: file not found (check the name, or put the recording in recordings/)")
        else:
            found.append(item)
    names: dict[str, Path] = {}
    for path in found:
        other = names.setdefault(session_name(path), path)
        if other != path:
            raise InputError(f"{path}: has the same name as {other}, so both would go to outputs/"
                             f"{session_name(path)}/; rename one of them")
    return found


def stage_range(start: str | None, until: str | None) -> tuple[int, int]:
    """(the first stage to redo, the last stage to run) for --from and --until."""
    for value, option in ((start, "--from"), (until, "--until")):
        if value is not None and value not in STAGE_NAMES:
            raise ConfigError(f"{option} {value}: unknown stage; choose one of {', '.join(STAGE_NAMES)}")
    return (STAGE_NAMES.index(start) if start else len(STAGES)), \
        (STAGE_NAMES.index(until) if until else len(STAGES) - 1)


def run_stages(path: Path, settings: Settings, *, plugs: Sequence[Extension] = (), reporter: Reporter | None = None,
               force: bool = False, start: str | None = None, until: str | None = None, title: str | None = None,
               date: dt.date | None = None, asr_backend: Any = None, series: str | None = None,
               remember_voices: bool | None = None, keep_heard: bool = False) -> RunResult:
    """Process one recording or transcript file into outputs/<name>/, skipping what is up to date.

    The caller holds the session's lock (`service.Oogst.run`). Args:
        plugs: the extensions plugged into the named points (series, pseudonymisation, generative backend).
        asr_backend: a loaded speech recogniser to use (the worker keeps one between jobs); default from settings.
    """
    reporter = reporter or SilentReporter()
    path = Path(path)
    redo_from, last = stage_range("transcribe" if force else start, until)
    imported = path.suffix.lower() in TRANSCRIPT_SUFFIXES
    if not imported and not is_audio_file(path):
        raise InputError(f"{path}: not a recording Oogst knows (.wav .mp3 .m4a .ogg .opus .flac .webm .mp4 …) "
                         "nor a transcript (.vtt .srt .txt .docx); convert it or rename it")
    session = Session.create(settings.out_dir, session_name(path))
    decoded: list[np.ndarray] = []  # decoded once, only when a stage needs it
    removed = session.removed_recording() is not None  # the retention policy deleted it
    gone = not path.is_file() and (removed or keep_heard)  # or a follow-up without the recording at hand
    if gone:
        date = date or dt.date.fromisoformat(str(session.read(TRANSCRIPT).get("recorded")))

    def audio() -> np.ndarray:
        if gone and not removed:
            raise InputError(f"{session.name}: this step needs the sound and the recording is not in the session "
                             "folder: run `oogst run` on the recording", "recording_not_here", name=session.name)
        if gone:
            raise InputError(f"{session.name}: the recording was deleted by the retention policy; this step needs "
                             "the sound: run the session again from its recording, or use the stages after it",
                             "recording_removed", name=session.name)
        if not decoded:  # a cancel or pause while decoding stops it (a long recording takes a while)
            decoded.append(load_audio(path, progress=lambda _share: reporter.check()))
        return decoded[0]

    ctx = RunContext(session, settings, path, imported,
                     date or date_from(session.name) or dt.date.fromtimestamp(path.stat().st_mtime),
                     title or title_from(session.name) or session.name, title is not None, audio,
                     lambda stage: STAGE_NAMES.index(stage) <= last, asr_backend, series, remember_voices,
                     session.recorded(Draft.name), sound=not gone)  # the record read before --from drops it
    for plug in plugs:
        plug.start(ctx)
    result = RunResult(session)
    for index, stage in enumerate(STAGES):
        if index > last:
            break
        if not stage.applies(ctx):
            continue
        if (gone or keep_heard) and stage.name in (Transcribe.name, Speakers.name):
            kept = index < redo_from and all(session.has(a) for a in stage.artefacts(ctx))
            if gone and not kept:
                audio()  # the one-line error: this stage needs the sound
            if kept:  # kept from before the recording went (the sound cannot redo it), or as asked (`keep_heard`)
                result.skipped.append(stage.name)
                reporter.end(session.name, stage.name, 0.0, True)
                continue
        stage.prepare(ctx, plugs)
        if index >= redo_from:
            session.invalidate(stage.name)
        key = stage.key(ctx, plugs)
        if session.is_fresh(stage.name, key):
            result.skipped.append(stage.name)
            reporter.end(session.name, stage.name, 0.0, True)
            continue
        reporter.check()  # a safe point: the stages before are written and recorded
        began = time.perf_counter()
        try:
            cacheable = stage.run(ctx, plugs, checked(reporter, reporter.begin(session.name, stage.name,
                                                                               stage.total(ctx))))
        except BaseException:
            reporter.abort(session.name, stage.name)
            raise
        artefacts = stage.artefacts(ctx)
        if stage.name == Draft.name:
            artefacts += [a for plug in plugs for a in plug.shared_artefacts(ctx)]
        session.record(stage.name, key, artefacts)
        if not cacheable:
            session.invalidate(stage.name)
        result.stage_seconds[stage.name] = round(time.perf_counter() - began, 3)
        reporter.end(session.name, stage.name, result.stage_seconds[stage.name], False)
    for plug in plugs:
        plug.finish(ctx)
    session.write(RUN, {"source": path.name, "stages": result.stage_seconds, "skipped": result.skipped,
                        "finished": dt.datetime.now().isoformat(timespec="seconds")})
    return result


def checked(reporter: Reporter, progress: Progress) -> Callable[[float], None]:
    """The stage's progress callback, checking first whether the run must stop (`Reporter.check`): the stages
    call it between segments, windows and sentences, so a cancelled job stops within seconds."""
    def report(share: float) -> None:
        reporter.check()
        if progress is not None:
            progress(share)

    return report


def keep_edited(session: Session, written: dict[str, str]) -> None:
    """Never overwrite a draft someone edited: move it aside before writing a new one.

    Args:
        written: the hashes the draft stage recorded when it wrote its artefacts (`Session.recorded`).
    """
    from pipeline.core.session import hash_file

    path = session.path(DRAFT)
    recorded = written.get(DRAFT)
    if path.is_file() and recorded and hash_file(path) != recorded:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = path.with_name(f"{path.stem}.edited-{stamp}{path.suffix}")
        copy = 2
        while kept.exists():  # two edits kept within a second: rename() would silently replace the first
            kept = path.with_name(f"{path.stem}.edited-{stamp}-{copy}{path.suffix}")
            copy += 1
        path.rename(kept)
        log.warning("%s was edited after Oogst wrote it; kept as %s", path, kept.name)
