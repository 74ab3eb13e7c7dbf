"""Audio -> Transcript. faster-whisper by default (CPU, all cores, Silero VAD), openai-whisper as an option.

Guards against what users of Whisper tools complain about most:
- silent translation: the language is `nl` unless the user asks for `auto`, and the task is always "transcribe";
- invented text on silence: VAD on, `no_speech`/log-prob thresholds, `hallucination_silence_threshold`, and a
  filter for the subtitle credits Whisper learned from TV ("Ondertiteld door ...", "Bedankt voor het kijken");
- repetition loops: `condition_on_previous_text=False` with the temperature fallback kept (float32 at
  temperature 0 alone looped in our runs), then a filter that drops a segment repeating the one before and
  collapses a phrase repeated many times inside one segment.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipeline.audio import SAMPLE_RATE, audio_chunks
from pipeline.errors import ConfigError, ModelError
from pipeline.types import Segment, Transcript, Word

log = logging.getLogger(__name__)

BACKENDS = ("faster-whisper", "openai-whisper")
COMPUTE_TYPES = ("float32", "int8", "int8_float32")
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
PIECE_SECONDS = 600.0  # faster-whisper gets the recording in pieces of about this length
MIN_REPEAT_WORDS = 5  # a segment repeating one of the two before is dropped only from this length on


@dataclass(frozen=True)
class TranscribeOptions:
    language: str = "nl"  # a Whisper language code, or "auto" to detect (never translates)
    model: str | None = None  # None: the assembled default; else a CTranslate2 dir, a model name, or a .pt path
    backend: str = "faster-whisper"
    compute_type: str = "float32"  # measured fastest and most accurate on this CPU class; see README
    batched: bool = False  # BatchedInferencePipeline: ~2x faster, slightly worse WER, more memory
    batch_size: int = 8
    beam_size: int = 5
    threads: int = 0  # 0: all cores
    vocabulary: tuple[str, ...] = ()  # participant names and domain words, given to the model as a prompt
    models_dir: Path = field(default=Path("models"), compare=False)

    def cache_settings(self) -> dict[str, Any]:
        """The options that change the transcript (and so belong in the stage's cache key)."""
        return {"language": self.language, "model": self.model_label, "backend": self.backend,
                "compute_type": self.compute_type, "batched": self.batched, "beam_size": self.beam_size,
                "vocabulary": list(self.vocabulary)}

    @property
    def model_label(self) -> str:
        return self.model or "whisper-base"

    def cpu_threads(self) -> int:
        return self.threads or os.cpu_count() or 1


class Backend(Protocol):
    name: str
    model_name: str

    def transcribe(self, audio: np.ndarray, opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        """The language used, and the segments (with words) in time order."""
        ...


def validate(opts: TranscribeOptions) -> None:
    if opts.backend not in BACKENDS:
        raise ConfigError(f"--backend {opts.backend}: unknown; choose one of {', '.join(BACKENDS)}")
    if opts.compute_type not in COMPUTE_TYPES:
        raise ConfigError(f"--compute-type {opts.compute_type}: not supported on CPU here; "
                          f"choose one of {', '.join(COMPUTE_TYPES)}")
    if opts.language != "auto" and not re.fullmatch(r"[a-z]{2,3}", opts.language):
        raise ConfigError(f"--language {opts.language}: give a language code such as nl or en, or auto")


def prompt_text(vocabulary: tuple[str, ...], language: str) -> str | None:
    """An initial prompt that makes Whisper spell names and domain words the way the group does."""
    words = [w.strip() for w in vocabulary if w.strip()]
    if not words:
        return None
    lead = "Intervisie met" if language in ("nl", "auto") else "Meeting with"
    return f"{lead} {', '.join(words)}."


class FasterWhisperBackend:
    name = "faster-whisper"

    def __init__(self, opts: TranscribeOptions) -> None:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        from pipeline.models import resolve_ct2_model

        location = resolve_ct2_model(opts.model, opts.models_dir)
        self.model_name = opts.model_label
        try:
            self._model = WhisperModel(location, device="cpu", compute_type=opts.compute_type,
                                       cpu_threads=opts.cpu_threads())
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"{location}: cannot load the Whisper model ({exc}); "
                             "run `make models` (or `oogst models`) to assemble it again") from None
        self._pipeline = BatchedInferencePipeline(self._model) if opts.batched else None

    def transcribe(self, audio: np.ndarray, opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        language = None if opts.language == "auto" else opts.language
        kwargs: dict[str, Any] = dict(
            language=language, task="transcribe", beam_size=opts.beam_size, word_timestamps=True,
            vad_filter=True, vad_parameters={"min_silence_duration_ms": 500, "speech_pad_ms": 300},
            condition_on_previous_text=False, temperature=list(TEMPERATURES),
            compression_ratio_threshold=2.4, log_prob_threshold=-1.0, no_speech_threshold=0.6,
            initial_prompt=prompt_text(opts.vocabulary, opts.language),
        )
        if self._pipeline is not None:
            pipeline = self._pipeline

            def run(piece: np.ndarray, args: dict[str, Any]) -> tuple[Any, Any]:
                return pipeline.transcribe(piece, batch_size=opts.batch_size, **args)
        else:
            hotwords = " ".join(opts.vocabulary) or None
            model = self._model

            def run(piece: np.ndarray, args: dict[str, Any]) -> tuple[Any, Any]:
                return model.transcribe(piece, hallucination_silence_threshold=2.0,
                                        hotwords=hotwords if args["initial_prompt"] is None else None, **args)

        # faster-whisper computes the features of everything it is given at once (and the batched pipeline keeps
        # every speech chunk's features), so it gets the recording in pieces cut at quiet moments: memory stays
        # flat however long the recording is.
        pieces = list(audio_chunks(audio, PIECE_SECONDS))
        first_start, first_end = pieces[0]
        segments, info = run(audio[first_start:first_end], kwargs)
        if language is None:
            log.warning("language detected: %s (probability %.2f); pass --language to fix it",
                        info.language, info.language_probability)
        rest = {**kwargs, "language": info.language}  # one recording, one language

        def generate() -> Iterator[Segment]:
            yield from (_segment(s) for s in segments)
            for start, end in pieces[1:]:
                more, _ = run(audio[start:end], rest)
                yield from (_shift(_segment(s), start / SAMPLE_RATE) for s in more)

        return info.language, generate()


def _segment(raw: Any) -> Segment:
    words = tuple(Word(float(w.start), float(w.end), str(w.word), float(w.probability)) for w in (raw.words or []))
    return Segment(float(raw.start), float(raw.end), str(raw.text).strip(), words)


def get_backend(opts: TranscribeOptions) -> Backend:
    validate(opts)
    if opts.backend == "openai-whisper":
        from pipeline.whisper_openai import OpenAIWhisperBackend

        return OpenAIWhisperBackend(opts)
    return FasterWhisperBackend(opts)


# -- guards -------------------------------------------------------------------------------------------------

# Credits and sign-offs from subtitled video that Whisper produces on silence or noise.
_HALLUCINATIONS = re.compile(
    r"^(ondertiteld door.*|ondertiteling.*|ondertitels? (door|ingevoegd|gemaakt).*|.*amara\.org.*|"
    r"bedankt voor het kijken.*|dank (u|je) (wel )?voor het kijken.*|bedankt voor het luisteren.*|"
    r"abonneer.*|vergeet niet te abonneren.*|tv gelderland.*|www\..*|"
    r"thanks? (you )?for watching.*|subtitles? by.*|please subscribe.*|(copyright|©).{0,20}\d{4}.*)$",
    re.IGNORECASE,
)


def _norm(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def _collapse_repeats(words: tuple[Word, ...], max_repeats: int = 2) -> tuple[Word, ...]:
    """Cut a phrase of 1-6 words that repeats more than `max_repeats` times in a row down to `max_repeats`."""
    tokens = [_norm(w.word) for w in words]
    keep = list(words)
    i = 0
    out: list[Word] = []
    while i < len(keep):
        cut = False
        for n in range(1, 7):
            unit = tokens[i: i + n]
            if len(unit) < n or not any(unit):
                break
            reps = 1
            while tokens[i + reps * n: i + (reps + 1) * n] == unit:
                reps += 1
            limit = max_repeats if n > 1 else max_repeats + 2  # "ja ja ja" is speech; ten times is a loop
            if reps > limit:
                out.extend(keep[i: i + limit * n])
                i += reps * n
                cut = True
                break
        if not cut:
            out.append(keep[i])
            i += 1
    return tuple(out)


def clean_segments(segments: Iterator[Segment], stats: dict[str, int]) -> Iterator[Segment]:
    """Drop hallucinated credits and repeated segments; collapse loops inside a segment."""
    recent: list[str] = []
    for seg in segments:
        text = seg.text.strip()
        if not text or _HALLUCINATIONS.match(text):
            stats["hallucination"] = stats.get("hallucination", 0) + 1
            log.info("dropped likely hallucination at %.1f s: %r", seg.start, text)
            continue
        norm = _norm(text)
        # Two people may well say "dat herken ik" in a row; a loop repeats whole sentences.
        if norm and norm in recent and len(norm.split()) >= MIN_REPEAT_WORDS:
            stats["repeated"] = stats.get("repeated", 0) + 1
            log.info("dropped repeated segment at %.1f s: %r", seg.start, text)
            continue
        if seg.words:
            words = _collapse_repeats(seg.words)
            if len(words) != len(seg.words):
                stats["loop"] = stats.get("loop", 0) + 1
                seg = Segment(seg.start, words[-1].end, "".join(w.word for w in words).strip(), words)
        recent = (recent + [norm])[-2:]
        yield seg


# -- the stage -----------------------------------------------------------------------------------------------

def transcribe(audio: np.ndarray, opts: TranscribeOptions, progress: Callable[[float], None] | None = None, *,
               backend: Backend | None = None, checkpoint: Path | None = None) -> Transcript:
    """Transcribe 16 kHz mono audio.

    Args:
        progress: called with the share of the audio done (0..1) after each segment.
        backend: a ready backend (tests, benchmarks); default from `opts`.
        checkpoint: a JSON-lines file that receives each segment as it is decoded; when it already holds
            segments from an interrupted run with the same options, transcription resumes after the last one.
    """
    duration = len(audio) / SAMPLE_RATE
    done: list[Segment] = []
    resume_at = 0.0
    language = opts.language
    header = {"options": opts.cache_settings(), "samples": int(len(audio))}
    if checkpoint is not None:
        language, done = _read_checkpoint(checkpoint, header, language)
        if done:
            resume_at = done[-1].end
            log.info("resuming transcription at %.1f s (%d segments kept from the interrupted run)",
                     resume_at, len(done))
    backend = backend or get_backend(opts)
    stats: dict[str, int] = {}
    sink = _open_checkpoint(checkpoint, header, bool(done))
    try:
        if resume_at < duration - 0.5:
            offset = int(resume_at * SAMPLE_RATE)
            detected, raw = backend.transcribe(audio[offset:], opts)
            language = detected if opts.language == "auto" and not done else language
            if sink is not None and not done:
                sink.write(json.dumps({"language": language}) + "\n")
            for seg in clean_segments(raw, stats):
                seg = _shift(seg, resume_at) if resume_at else seg
                done.append(seg)
                if sink is not None:
                    sink.write(json.dumps(seg.to_dict(), ensure_ascii=False) + "\n")
                    sink.flush()
                if progress is not None:
                    progress(min(1.0, seg.end / duration))
    finally:
        if sink is not None:
            sink.close()
    if progress is not None:
        progress(1.0)
    extra: dict[str, Any] = {"backend": backend.name}
    if stats:
        extra["filtered"] = stats
    return Transcript(language if language != "auto" else "nl", duration, backend.model_name, tuple(done), extra)


def _shift(seg: Segment, offset: float) -> Segment:
    words = tuple(Word(w.start + offset, w.end + offset, w.word, w.probability) for w in seg.words)
    return Segment(seg.start + offset, seg.end + offset, seg.text, words)


def _read_checkpoint(path: Path, header: dict[str, Any], language: str) -> tuple[str, list[Segment]]:
    if not path.is_file():
        return language, []
    segments: list[Segment] = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    try:
        if json.loads(lines[0]) != header:
            return language, []
        for line in lines[1:]:
            record = json.loads(line)  # a line cut off by a crash raises here and ends the resume
            if "language" in record and "start" not in record:
                language = record["language"]
            else:
                segments.append(Segment.from_dict(record))
    except (ValueError, KeyError, IndexError):
        pass
    return language, segments


def _open_checkpoint(path: Path | None, header: dict[str, Any], resume: bool) -> Any:
    if path is None:
        return None
    if resume:
        # Rewrite the good lines so a cut-off last line is not kept in the middle of the file.
        language, kept = _read_checkpoint(path, header, "")
        sink = open(path, "w", encoding="utf-8")
        sink.write(json.dumps(header) + "\n")
        sink.write(json.dumps({"language": language}) + "\n")
        for seg in kept:
            sink.write(json.dumps(seg.to_dict(), ensure_ascii=False) + "\n")
        sink.flush()
        return sink
    sink = open(path, "w", encoding="utf-8")
    sink.write(json.dumps(header) + "\n")
    return sink


class ScriptedBackend:
    """A backend that replays given segments: for fast tests and for trying the pipeline without a model."""

    name = "scripted"

    def __init__(self, segments: list[Segment], duration: float, language: str = "nl",
                 model_name: str = "scripted") -> None:
        self.segments = segments
        self.duration = duration
        self.language = language
        self.model_name = model_name
        self.calls: list[float] = []  # audio duration given to each call

    def transcribe(self, audio: np.ndarray, opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        self.calls.append(len(audio) / SAMPLE_RATE)
        offset = self.duration - len(audio) / SAMPLE_RATE
        # Like a real model given the rest of the audio: times are relative to where that rest starts.
        rest = [_shift(s, -offset) for s in self.segments if s.start >= offset - 1e-6]
        return self.language, iter(rest)
