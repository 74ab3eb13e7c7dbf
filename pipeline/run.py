"""The orchestrator: one recording (or transcript) -> a session folder, stage by stage, each cached.

Stages and their artefacts:
    transcribe  transcript.json   (audio: decode + Whisper; imported transcripts: parsed from the file)
    speakers    diarization.json  (who spoke when, labels S1..; imported transcripts: names from the file)
    names       turns.json        (diarization + names.toml / --names; cheap, always brought up to date)
    insights    insights.json
    draft       draft.docx
A stage runs when its key (hash of its inputs and of the settings that change its output) differs from the
one recorded in `.stages.json`, or when its artefact is missing or changed; otherwise it is skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from pipeline.asr.transcribe import TranscribeOptions
from pipeline.core.errors import AudioError, ConfigError, InputError
from pipeline.core.layers import (
    CORRECTIONS_FILE,
    EDITS_FILE,
    apply_corrections,
    apply_edits,
    load_corrections,
    load_edits,
)
from pipeline.core.lock import session_lock
from pipeline.core.naming import date_from, session_name, title_from
from pipeline.core.progress import Reporter, SilentReporter
from pipeline.core.settings import Settings
from pipeline.core.store import Session, atomic_write_json, cache_key, hash_file, read_json
from pipeline.core.types import SAMPLE_RATE, Insights, Transcript, Turns
from pipeline.ingest.audio import is_audio_file, load_audio
from pipeline.privacy.mapping import PSEUDONYMS_FILE, session_choice
from pipeline.series import stage as series_stage

if TYPE_CHECKING:
    from pipeline.asr.options import Backend
    from pipeline.insights.extract import InsightBackend
    from pipeline.review.draft import Section

log = logging.getLogger(__name__)

STAGES = ("transcribe", "speakers", "names", "insights", "draft")
TRANSCRIPT_SUFFIXES = frozenset({".vtt", ".srt", ".txt", ".docx"})
DETECTOR_VERSION = "deduce-3.0.6+rules-1"  # part of the draft's key when pseudonymised
PHASES_VERSION = "phases-3"  # part of the names stage's key: turns.json carries the intervision phases
FOLDER_TRANSCRIPT_SUFFIXES = frozenset({".vtt", ".srt"})  # .txt/.docx in a folder may be notes: name them


@dataclass
class RunResult:
    session: Session
    stage_seconds: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def artefacts(self) -> list[Path]:
        names = ["transcript.json", "turns.json", "insights.json", "draft.docx"]
        return [self.session.path(n) for n in names if self.session.path(n).is_file()]


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


def transcribe_options(settings: Settings) -> TranscribeOptions:
    """The transcription options the settings give (the web worker uses them to keep a recogniser loaded)."""
    return TranscribeOptions(language=settings.language, model=settings.model, backend=settings.backend,
                             compute_type=settings.compute_type, batched=settings.batched,
                             beam_size=settings.beam_size, threads=settings.threads,
                             vocabulary=settings.vocabulary, models_dir=settings.models_dir)


def _stage_order(start: str | None, until: str | None) -> tuple[int, int]:
    for value, option in ((start, "--from"), (until, "--until")):
        if value is not None and value not in STAGES:
            raise ConfigError(f"{option} {value}: unknown stage; choose one of {', '.join(STAGES)}")
    return (STAGES.index(start) if start else len(STAGES)), (STAGES.index(until) if until else len(STAGES) - 1)


def run_recording(path: Path, settings: Settings, *, reporter: Reporter | None = None, force: bool = False,
                  start: str | None = None, until: str | None = None, title: str | None = None,
                  date: dt.date | None = None, owner: str = "oogst run", asr_backend: Backend | None = None,
                  series: str | None = None, remember_voices: bool | None = None) -> RunResult:
    """Process one recording or transcript file into outputs/<name>/, skipping what is up to date.

    Args:
        owner: who runs it, for the "busy" message another writer of the session gets (`core.lock`).
        asr_backend: a loaded speech recogniser to use (the web worker keeps one between jobs); default from settings.
        series: the series the session belongs to (recorded in the session folder; None keeps the recorded one).
        remember_voices: switch keeping voice profiles in the series on or off (None: as the series has it).
    """
    with session_lock(Path(settings.out_dir) / session_name(Path(path)), owner):
        return _run_recording(Path(path), settings, reporter=reporter, force=force, start=start, until=until,
                              title=title, date=date, asr_backend=asr_backend, series=series,
                              remember_voices=remember_voices)


def _run_recording(path: Path, settings: Settings, *, reporter: Reporter | None, force: bool, start: str | None,
                   until: str | None, title: str | None, date: dt.date | None,
                   asr_backend: Backend | None, series: str | None = None,
                   remember_voices: bool | None = None) -> RunResult:
    reporter = reporter or SilentReporter()
    redo_from, last = _stage_order("transcribe" if force else start, until)
    session = Session.create(settings.out_dir, session_name(path))
    result = RunResult(session)
    imported = path.suffix.lower() in TRANSCRIPT_SUFFIXES
    if not imported and not is_audio_file(path):
        raise InputError(f"{path}: not a recording Oogst knows (.wav .mp3 .m4a .ogg .opus .flac .webm .mp4 …) "
                         "nor a transcript (.vtt .srt .txt .docx); convert it or rename it")
    in_series = series_stage.series_of(session, series, remember_voices)  # a later run keeps the series
    source_hash = hash_file(path)
    written_draft = session.recorded("draft")  # read before --from/--force drop the record: _keep_edited needs it
    audio: list[np.ndarray] = []  # decoded once, only when a stage needs it

    def get_audio() -> np.ndarray:
        if not audio:
            audio.append(load_audio(path))
        return audio[0]

    def stage(name: str, key_of: Callable[[], str], artefacts: list[str],
              work: Callable[[Callable[[float], None] | None], None],
              total: Callable[[], float] | None = None) -> None:
        index = STAGES.index(name)
        if index > last:
            return
        if index >= redo_from:
            session.invalidate(name)
        key = key_of()
        if session.is_fresh(name, key):
            result.skipped.append(name)
            reporter.end(session.name, name, 0.0, True)
            return
        began = time.perf_counter()
        try:
            work(reporter.begin(session.name, name, total() if total else None))
        except BaseException:
            reporter.abort(session.name, name)
            raise
        session.record(name, key, artefacts)
        result.stage_seconds[name] = round(time.perf_counter() - began, 3)
        reporter.end(session.name, name, result.stage_seconds[name], False)

    recorded = (date or date_from(session.name) or dt.date.fromtimestamp(path.stat().st_mtime)).isoformat()
    meta = {"source": path.name, "recorded": recorded, "title": title or title_from(session.name) or session.name}
    opts = transcribe_options(settings)

    # -- transcribe (or import) -------------------------------------------------------------------------
    if imported:
        def do_import(progress: Callable[[float], None] | None) -> None:
            from pipeline.ingest.importers import import_transcript

            transcript, turns = import_transcript(path, language=settings.language)
            transcript = Transcript(transcript.language, transcript.duration, transcript.model,
                                    transcript.segments, {**transcript.extra, **meta})
            atomic_write_json(session.path("transcript.json"), transcript.to_dict())
            atomic_write_json(session.path("diarization.json"), turns.to_dict())

        stage("transcribe", lambda: cache_key("import", source_hash, settings.language, meta),
              ["transcript.json", "diarization.json"], do_import)
    else:
        def do_transcribe(progress: Callable[[float], None] | None) -> None:
            from pipeline.asr.transcribe import transcribe

            samples = get_audio()
            checkpoint = session.path(".transcript.partial.jsonl")
            transcript = transcribe(samples, opts, progress, checkpoint=checkpoint, backend=asr_backend)
            if not transcript.segments:
                raise AudioError(f"{path}: no speech found in {len(samples) / SAMPLE_RATE:.0f} s of audio "
                                 "(only silence or noise); nothing to transcribe")
            transcript = Transcript(transcript.language, transcript.duration, transcript.model,
                                    transcript.segments, {**transcript.extra, **meta})
            atomic_write_json(session.path("transcript.json"), transcript.to_dict())
            checkpoint.unlink(missing_ok=True)

        stage("transcribe", lambda: cache_key("asr", source_hash, opts.cache_settings(), meta),
              ["transcript.json"], do_transcribe, total=lambda: len(get_audio()) / SAMPLE_RATE)

    # -- speakers -------------------------------------------------------------------------------------------
    if not imported:
        def do_speakers(progress: Callable[[float], None] | None) -> None:
            from pipeline.speakers.diarize import diarize

            transcript = Transcript.from_dict(read_json(session.path("transcript.json")))
            turns = diarize(get_audio(), transcript, num_speakers=settings.speakers, progress=progress)
            atomic_write_json(session.path("diarization.json"), turns.to_dict())

        stage("speakers", lambda: cache_key("speakers", session.artefact_hash("transcript.json"), settings.speakers),
              ["diarization.json"], do_speakers, total=lambda: len(get_audio()) / SAMPLE_RATE)

    # -- names: diarization + names.toml + --names -> turns.json ----------------------------------------------
    def session_language() -> str:  # the language spoken (the phases' cue phrases, the insights' lexicons)
        return str(read_json(session.path("transcript.json")).get("language") or settings.language)

    def do_names(progress: Callable[[float], None] | None) -> None:
        from pipeline.speakers.names import load_names, resolve_labels, with_names

        turns = Turns.from_dict(read_json(session.path("diarization.json")))
        given = resolve_labels(turns, settings.names, source="--names") if settings.names else {}
        turns = with_names(turns, {**series_stage.proposed_names(session), **load_names(session.root), **given})
        turns = apply_corrections(turns, load_corrections(session.root))  # lines corrected by hand (web page)
        from pipeline.insights.phases import turns_with_phases  # intervision phases, from the turns alone

        atomic_write_json(session.path("turns.json"), turns_with_phases(turns, session_language()).to_dict())

    names_file, corrections_file = session.path("names.toml"), session.path(CORRECTIONS_FILE)
    if in_series and not imported and last >= STAGES.index("names"):  # names proposed from the series' voices
        series_stage.propose_names(settings.out_dir, in_series, session, get_audio)
    voice_file = session.path(series_stage.VOICE_NAMES_FILE)
    stage("names", lambda: cache_key("names", PHASES_VERSION, session_language(),
                                     session.artefact_hash("diarization.json"),
                                     hash_file(names_file) if names_file.is_file() else None, settings.names,
                                     *([hash_file(corrections_file)] if corrections_file.is_file() else []),
                                     *([hash_file(voice_file)] if voice_file.is_file() else [])),
          ["turns.json"], do_names)

    # -- insights ---------------------------------------------------------------------------------------------
    chosen_backend: list[InsightBackend] = []

    def insights_backend() -> InsightBackend:
        if not chosen_backend:
            if settings.insights == "llm":  # opt-in: a generative model the user points at (pipeline.llm)
                from pipeline.llm.configure import backend_from_settings

                chosen_backend.append(backend_from_settings(settings, session.root))
            else:
                from pipeline.insights.extract import ExtractiveBackend

                chosen_backend.append(ExtractiveBackend())
        return chosen_backend[0]

    def do_insights(progress: Callable[[float], None] | None) -> None:
        from pipeline.insights.extract import InsightContext, extract_insights

        turns = Turns.from_dict(read_json(session.path("turns.json")))
        transcript = Transcript.from_dict(read_json(session.path("transcript.json")))
        context = InsightContext(date=dt.date.fromisoformat(recorded),
                                 words=() if imported else tuple(transcript.words))
        insights = extract_insights(turns, language=session_language(), backend=insights_backend(),
                                    progress=progress, context=context)
        from pipeline.insights.phases import insights_with_phases

        insights = insights_with_phases(insights, turns)  # the phases, and each insight's
        atomic_write_json(session.path("insights.json"), insights.to_dict())
        if "llm_error" in insights.extra:  # the extractive stand-in is not cached: the next run asks the model again
            llm_failed.append(True)

    def insights_key() -> str:
        backend = insights_backend()
        parts = getattr(backend, "cache_parts", None)  # the generative backend: model, server, template
        return cache_key("insights", session.artefact_hash("turns.json"), session.artefact_hash("transcript.json"),
                         session_language(), recorded, backend.name, backend.version,
                         *([parts()] if parts is not None else []))

    llm_failed: list[bool] = []
    stage("insights", insights_key, ["insights.json"], do_insights)
    if llm_failed:
        session.invalidate("insights")

    # -- draft ------------------------------------------------------------------------------------------------
    # --pseudonymise: third parties become labels in draft.docx; pseudonyms.json (the mapping) is part of the key
    pseudonyms = session_choice(session.path(PSEUDONYMS_FILE), settings.pseudonymise, settings.participants,
                                settings.language)

    def do_draft(progress: Callable[[float], None] | None) -> None:
        from pipeline.review.draft import write_draft

        _keep_edited(session, "draft.docx", written_draft)
        from pipeline.insights.confidence import Recognition

        turns = Turns.from_dict(read_json(session.path("turns.json")))
        insights = apply_edits(Insights.from_dict(read_json(session.path("insights.json"))),
                               load_edits(session.root))  # the facilitator's edits (web page), if any
        transcript = Transcript.from_dict(read_json(session.path("transcript.json")))
        words = None if imported else Recognition(transcript.words)  # an import has no probabilities: no marks
        shared = None
        if pseudonyms is not None:
            from pipeline.privacy.shared import detector_for, prepare_shared

            detector = detector_for(insights.language, settings.cache_dir or Path(".cache"))
            shared = prepare_shared(session, turns, insights, title=meta["title"], detector=detector,
                                    pseudonyms=pseudonyms, title_from_file=title is None)
        sections: list[Section] = [] if not in_series else series_stage.draft_sections(
            settings.out_dir, in_series, session, turns, insights, shared)
        write_draft(session, turns, insights, title=meta["title"], date=dt.date.fromisoformat(recorded),
                    words=words, shared=shared, sections=sections)

    edits_file = session.path(EDITS_FILE)
    privacy_key = (pseudonyms.user_key(), DETECTOR_VERSION) if pseudonyms is not None else None
    stage("draft", lambda: cache_key("draft", session.artefact_hash("turns.json"),
                                     session.artefact_hash("insights.json"), session.artefact_hash("transcript.json"),
                                     meta, *([privacy_key] if privacy_key else []),
                                     *([hash_file(edits_file)] if edits_file.is_file() else []),
                                     *([series_stage.draft_key(settings.out_dir, in_series, session)]
                                       if in_series else [])),
          ["draft.docx"] + ([PSEUDONYMS_FILE] if pseudonyms is not None else []), do_draft)

    if in_series and last >= STAGES.index("insights"):
        series_stage.keep_session(settings.out_dir, in_series, session, audio=None if imported else get_audio,
                                  remember_voices=remember_voices)
    atomic_write_json(session.path("run.json"), {"source": path.name, "stages": result.stage_seconds,
                                                 "skipped": result.skipped,
                                                 "finished": dt.datetime.now().isoformat(timespec="seconds")})
    return result


def _keep_edited(session: Session, name: str, written: dict[str, str]) -> None:
    """Never overwrite a document someone edited: move it aside before writing a new one.

    Args:
        written: the hashes the draft stage recorded when it wrote its artefacts (`Session.recorded`).
    """
    path = session.path(name)
    recorded = written.get(name)
    if path.is_file() and recorded and hash_file(path) != recorded:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = path.with_name(f"{path.stem}.edited-{stamp}{path.suffix}")
        copy = 2
        while kept.exists():  # two edits kept within a second: rename() would silently replace the first
            kept = path.with_name(f"{path.stem}.edited-{stamp}-{copy}{path.suffix}")
            copy += 1
        path.rename(kept)
        log.warning("%s was edited after Oogst wrote it; kept as %s", path, kept.name)
