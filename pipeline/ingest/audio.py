"""Any audio or video file -> 16 kHz mono float32, with one clear error for each way a file can be unusable."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.errors import AudioError
from pipeline.core.language import clock
from pipeline.core.types import SAMPLE_RATE

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".webm", ".mp4",
                            ".mkv", ".mov", ".wma", ".amr", ".3gp"})
# Peak below -60 dBFS over the whole file: nothing a microphone picked up from people talking.
SILENCE_PEAK = 1e-3
# A file that decodes to less than this share of the duration its header declares was cut off.
TRUNCATED_SHARE = 0.9


class _Buffer:
    """A growable float32 array: one allocation of the expected size, so peak memory stays ~1x the audio."""

    def __init__(self, expected: int) -> None:
        self.data = np.empty(max(expected, SAMPLE_RATE), dtype=np.float32)
        self.size = 0

    def append(self, chunk: np.ndarray) -> None:
        end = self.size + len(chunk)
        if end > len(self.data):
            grown = np.empty(max(end, int(len(self.data) * 1.25)), dtype=np.float32)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size: end] = chunk
        self.size = end

    def array(self) -> np.ndarray:
        if self.size == len(self.data):
            return self.data
        return self.data[: self.size].copy()


@contextmanager
def _opened(path: Path) -> Iterator[tuple[Any, Any]]:
    """The container and its first audio stream, or the one-line errors of a file that is none."""
    import av

    _check_file(path)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.FFmpegError:
        raise _not_audio(path) from None
    with container:
        if not container.streams.audio:
            raise _no_audio_stream(path)
        yield container, container.streams.audio[0]


def load_audio(path: Path, *, progress: Callable[[float], None] | None = None) -> np.ndarray:
    """Decode `path` (any common audio/video format) to 16 kHz mono float32 samples in [-1, 1]."""
    import av

    path = Path(path)
    with _opened(path) as (container, stream):
        declared = _declared_seconds(container, stream)
        buffer = _Buffer(int((declared or 0) * SAMPLE_RATE * 1.02))
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        error: str | None = None
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    buffer.append(out.to_ndarray().reshape(-1))
                if progress is not None and declared:
                    progress(min(1.0, buffer.size / SAMPLE_RATE / declared))
            for out in resampler.resample(None):
                buffer.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError as exc:
            error = str(exc)
    seconds = buffer.size / SAMPLE_RATE
    if error is not None:
        if seconds == 0:
            raise AudioError(f"{path}: the audio data is corrupt and nothing could be decoded ({error}); "
                             "export the recording again", "audio_corrupt", file=path.name)
        raise AudioError(f"{path}: the audio data is corrupt or truncated after {clock(seconds)}; "
                         "copy or export the recording again", "audio_corrupt_after", file=path.name,
                         time=clock(seconds))
    if buffer.size == 0:
        raise AudioError(f"{path}: contains no audio (zero length); check that the recording actually ran",
                         "audio_zero", file=path.name)
    if declared and declared > 5 and seconds < TRUNCATED_SHARE * declared:
        raise AudioError(f"{path}: truncated: the file says {clock(declared)} but only {clock(seconds)} "
                         "of audio is there; copy the file again (was the upload or copy finished?)",
                         "audio_truncated", file=path.name, declared=clock(declared), time=clock(seconds))
    audio = buffer.array()
    np.clip(audio, -1.0, 1.0, out=audio)
    if float(np.abs(audio).max()) < SILENCE_PEAK:
        raise AudioError(f"{path}: contains only silence ({clock(seconds)}); nothing to transcribe "
                         "(was the microphone muted?)", "audio_silent", file=path.name, time=clock(seconds))
    if progress is not None:
        progress(1.0)
    log.info("decoded %s: %.1f s", path, seconds)
    return audio


PROBE_SECONDS = 5.0  # what the upload check decodes at the start (and at the end) of a recording


@dataclass(frozen=True)
class Probe:
    """What a look at a recording's container found: its audio codec, duration and container format."""

    format: str  # ffmpeg's name of the container, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    codec: str
    seconds: float | None  # as the file declares it (None: it does not say)
    video: bool


def probe_audio(path: Path, *, seconds: float = PROBE_SECONDS) -> Probe:
    """Check a recording without decoding all of it: the container and its audio stream, a few seconds of audio at
    the start and, when the file declares its duration, a moment near the end (a copy or upload cut off). The same
    errors as `load_audio` for what it sees; a recording that is silent throughout is only found by decoding it all.
    Memory and time do not grow with the recording's length (the web app's upload check)."""
    import av

    path = Path(path)
    with _opened(path) as (container, stream):
        declared = _declared_seconds(container, stream)
        probe = Probe(container.format.name, stream.codec_context.name, declared, bool(container.streams.video))
        decoded, _, error = _decode_some(container, stream, seconds)
        if decoded == 0:
            if error is not None:
                raise AudioError(f"{path}: the audio data is corrupt and nothing could be decoded ({error}); "
                                 "export the recording again", "audio_corrupt", file=path.name)
            raise AudioError(f"{path}: contains no audio (zero length); check that the recording actually ran",
                             "audio_zero", file=path.name)
        if declared and declared > 4 * seconds and stream.time_base:
            target = declared - seconds  # where the check reads: the data must reach (nearly) there
            try:
                container.seek(int(target / stream.time_base), stream=stream)
                tail, reached, error = _decode_some(container, stream, 0.5)
            except av.FFmpegError as exc:
                tail, reached, error = 0.0, None, str(exc)
            # nothing there, or the seek fell back to where the data ends (a cut-off .mp3 still declares it all)
            if tail == 0 or (reached is not None and reached < TRUNCATED_SHARE * target):
                raise AudioError(f"{path}: truncated: the file says {clock(declared)} but its end cannot be read "
                                 f"({error or 'no audio there'}); copy the file again (was the upload or copy "
                                 "finished?)", "audio_end_missing", file=path.name, declared=clock(declared))
    return probe


def _decode_some(container: object, stream: object, seconds: float) -> tuple[float, float | None, str | None]:
    """Decode up to `seconds` of audio from where the container is: (seconds decoded, the time in the recording
    reached when the frames say, the decoder's error)."""
    import av

    got, reached = 0.0, None
    try:
        for frame in container.decode(stream):  # type: ignore[attr-defined]
            length = frame.samples / (frame.sample_rate or SAMPLE_RATE)
            got += length
            reached = frame.time + length if frame.time is not None else reached
            if got >= seconds:
                break
    except av.FFmpegError as exc:
        return got, reached, str(exc)
    return got, reached, None


def _check_file(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path}: file not found (check the name, or put the recording in recordings/)",
                         "file_not_found", file=path.name)
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not a recording (give a file, or use `oogst run {path}` for all)")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes); copy or export the recording again", "audio_empty",
                         file=path.name)
    _check_riff(path)


def _not_audio(path: Path) -> AudioError:
    return AudioError(f"{path}: not an audio or video file that can be read (damaged, or another kind of file); "
                      "export the recording again as .m4a, .mp3 or .wav", "not_audio", file=path.name)


def _no_audio_stream(path: Path) -> AudioError:
    return AudioError(f"{path}: no audio stream found (is this a video without sound?); "
                      "export the recording with its sound track", "no_audio_stream", file=path.name)


def load_span(path: Path, start: float, end: float) -> np.ndarray:
    """Decode only `start`..`end` seconds of a recording to 16 kHz mono float32 (seeking there: a clip of a
    two-hour recording costs what the clip costs)."""
    import av

    path = Path(path)
    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.audio:
            raise _no_audio_stream(path)
        stream = container.streams.audio[0]
        if start > 1 and stream.time_base:
            container.seek(int((start - 1) / stream.time_base), stream=stream)  # lands at or before it
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        pieces: list[np.ndarray] = []
        at: float | None = None  # the recording's time of the next resampled sample
        try:
            for frame in container.decode(stream):
                if at is None:
                    at = float(frame.time) if frame.time is not None else 0.0
                for out in resampler.resample(frame):
                    pieces.append(out.to_ndarray().reshape(-1))
                if at + sum(len(x) for x in pieces) / SAMPLE_RATE >= end:
                    break
        except av.FFmpegError as exc:
            if not pieces:
                raise AudioError(f"{path}: cannot read {clock(start)}-{clock(end)} ({exc})", "audio_corrupt",
                                 file=path.name) from None
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    first = max(0, int(round((start - (at or 0.0)) * SAMPLE_RATE)))
    return np.clip(audio[first: first + int(round((end - start) * SAMPLE_RATE))], -1.0, 1.0)


def _check_riff(path: Path) -> None:
    """WAV files say how many bytes of audio follow; ffmpeg silently decodes a cut-off one, so check."""
    import struct

    size = path.stat().st_size
    with open(path, "rb") as fh:
        if fh.read(4) != b"RIFF":
            return
        fh.seek(12)
        while True:
            header = fh.read(8)
            if len(header) < 8:
                return
            chunk, length = struct.unpack("<4sI", header)
            if chunk == b"data":
                have = size - fh.tell()
                if length not in (0, 0xFFFFFFFF) and have < TRUNCATED_SHARE * length:
                    raise AudioError(f"{path}: truncated: the file says it holds {length} bytes of audio but only "
                                     f"{have} are there; copy the file again (was the copy finished?)",
                                     "wav_truncated", file=path.name, length=length, have=have)
                return
            fh.seek(length + (length & 1), 1)


CUT_SEARCH_SECONDS = 20.0  # look this far back from a chunk's nominal end for the quietest half second


def _quiet_cut(audio: np.ndarray, start: int, nominal_end: int) -> int:
    """The sample index of the quietest half second in the CUT_SEARCH_SECONDS before `nominal_end`."""
    lo = max(start + SAMPLE_RATE, nominal_end - int(CUT_SEARCH_SECONDS * SAMPLE_RATE))
    region = audio[lo:nominal_end]
    frame = SAMPLE_RATE // 20
    if len(region) < 10 * frame:
        return nominal_end
    frames = len(region) // frame
    energy = np.square(region[: frames * frame].reshape(frames, frame), dtype=np.float64).mean(axis=1)
    smooth = np.convolve(energy, np.ones(10) / 10, mode="valid")  # half-second windows
    best = int(np.argmin(smooth[::-1]))  # the latest of equally quiet spots keeps chunks long
    return lo + (len(smooth) - 1 - best + 5) * frame


def audio_chunks(audio: np.ndarray, chunk_seconds: float) -> Iterator[tuple[int, int]]:
    """(start, end) sample ranges of about `chunk_seconds`, cut at quiet points, covering the whole signal."""
    size = int(chunk_seconds * SAMPLE_RATE)
    start = 0
    while start < len(audio):
        end = len(audio) if len(audio) - start <= size * 1.25 else _quiet_cut(audio, start, start + size)
        yield start, end
        start = end


def _declared_seconds(container: object, stream: object) -> float | None:
    duration = getattr(stream, "duration", None)
    time_base = getattr(stream, "time_base", None)
    if duration and time_base:
        return float(duration * time_base)
    container_duration = getattr(container, "duration", None)
    if container_duration:
        return float(container_duration) / 1_000_000  # av.time_base
    return None


def is_audio_file(path: Path) -> bool:
    return Path(path).suffix.lower() in AUDIO_SUFFIXES
