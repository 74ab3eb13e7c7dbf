"""Who spoke when: speech regions (Silero VAD), speaker embeddings on sliding windows (resemblyzer), spectral
clustering with an automatic speaker count, then every Whisper word gets a speaker and words merge into turns.

Memory stays flat on long recordings: the VAD runs on ten-minute chunks, embeddings are computed region by region
in small batches (256 floats per window, ~30k windows for two hours of speech), and the affinity matrix is built
on at most `max_cluster_windows` evenly spread windows; every other window goes to the nearest speaker centroid.

Turn boundaries: a speaker change is cheap at a sentence end or a pause and expensive in the middle of a sentence
(a Viterbi pass over the words), so a sentence is not split between two people because one window was unsure.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.core.errors import ConfigError, ModelError
from pipeline.core.types import SAMPLE_RATE, Transcript, Turn, Turns, Word
from pipeline.speakers.clustering import MAX_SPEAKERS, cluster_windows

log = logging.getLogger(__name__)

WINDOW = 1.6  # seconds; resemblyzer's partial-utterance length (160 mel frames)
HOP = 0.25
_MEL_STEP = 160  # samples per mel frame (10 ms)
_WINDOW_FRAMES = 160
_SENTENCE_END = re.compile(r"[.?!…]['\")\]]*$")


@dataclass(frozen=True)
class SpeakerWindows:
    """Embeddings of sliding windows over the speech regions."""

    starts: np.ndarray  # seconds, shape (n,)
    ends: np.ndarray
    embeddings: np.ndarray  # (n, 256), L2-normalised


# -- speech regions --------------------------------------------------------------------------------------


def speech_regions(audio: np.ndarray, *, min_silence: float = 0.25, pad: float = 0.05,
                   chunk_seconds: float = 600.0,
                   progress: Callable[[float], None] | None = None) -> list[tuple[float, float]]:
    """Speech regions in seconds, by Silero VAD (the model shipped inside faster-whisper)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=int(min_silence * 1000), speech_pad_ms=int(pad * 1000),
                         min_speech_duration_ms=150, max_speech_duration_s=30.0)
    chunk = int(chunk_seconds * SAMPLE_RATE)
    regions: list[tuple[float, float]] = []
    for offset in range(0, len(audio), chunk):
        part = np.ascontiguousarray(audio[offset: offset + chunk], dtype=np.float32)
        if len(part) < 512:
            continue
        for ts in get_speech_timestamps(part, options):
            start, end = (offset + ts["start"]) / SAMPLE_RATE, (offset + ts["end"]) / SAMPLE_RATE
            if regions and start - regions[-1][1] < 0.01:  # a region cut by the chunk border
                regions[-1] = (regions[-1][0], end)
            else:
                regions.append((start, end))
        if progress is not None:
            progress(min(1.0, (offset + chunk) / len(audio)))
    return regions


# -- embeddings ------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _encoder() -> Any:
    try:
        with warnings.catch_warnings():  # pkg_resources / scipy.ndimage deprecation notices, not for users
            warnings.simplefilter("ignore")
            from resemblyzer import VoiceEncoder
    except ImportError as exc:  # webrtcvad needs pkg_resources (setuptools<81)
        raise ModelError(f"the speaker model cannot be loaded ({exc}); run `pip install resemblyzer==0.1.4 "
                         "'setuptools<81'` in Oogst's environment") from None
    return VoiceEncoder(device="cpu", verbose=False)


def _mel(samples: np.ndarray) -> np.ndarray:
    from resemblyzer.audio import normalize_volume, wav_to_mel_spectrogram

    return wav_to_mel_spectrogram(normalize_volume(samples, -30, increase_only=True))


def _region_windows(length: int, hop_seconds: float = HOP) -> list[int]:
    """Start frames of the windows over a region of `length` mel frames (the last one flush with the end)."""
    hop = max(1, int(round(hop_seconds * 100)))
    if length <= _WINDOW_FRAMES:
        return [0]
    starts = list(range(0, length - _WINDOW_FRAMES + 1, hop))
    if starts[-1] + _WINDOW_FRAMES < length:
        starts.append(length - _WINDOW_FRAMES)
    return starts


def embed_windows(audio: np.ndarray, regions: Sequence[tuple[float, float]], *, min_region: float = 0.4,
                  batch_size: int = 64, hop: float = HOP, threads: int = 1,
                  progress: Callable[[float], None] | None = None) -> SpeakerWindows:
    """Embed 1.6 s windows (0.25 s hop) inside each speech region; a short region is repeated to fill one window."""
    import torch

    encoder = _encoder()
    starts: list[float] = []
    ends: list[float] = []
    chunks: list[np.ndarray] = []
    batch: list[np.ndarray] = []
    total = sum(e - s for s, e in regions) or 1.0
    done = 0.0

    def flush() -> None:
        if batch:
            with torch.no_grad():
                chunks.append(encoder(torch.from_numpy(np.stack(batch))).numpy().astype(np.float32))
            batch.clear()

    # One thread: on a busy two-core machine torch's LSTM with two threads was 10-20x slower, not faster.
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for start, end in regions:
            done += end - start
            if end - start < min_region:
                continue
            samples = audio[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)].astype(np.float32)
            short = len(samples) < WINDOW * SAMPLE_RATE
            if short:
                samples = np.tile(samples, int(np.ceil(WINDOW * SAMPLE_RATE / len(samples))))
            mel = _mel(samples)
            real_end = start + int((end - start) * 100) / 100
            for first in [0] if short else _region_windows(len(mel), hop):
                batch.append(mel[first: first + _WINDOW_FRAMES])
                starts.append(start + first / 100)
                ends.append(min(real_end, start + (first + _WINDOW_FRAMES) / 100))
                if len(batch) >= batch_size:
                    flush()
            if progress:
                progress(done / total)
        flush()
    finally:
        torch.set_num_threads(previous_threads)
    embeddings = np.concatenate(chunks) if chunks else np.zeros((0, 256), np.float32)
    return SpeakerWindows(np.asarray(starts), np.asarray(ends), embeddings)


# -- clustering ------------------------------------------------------------------------------------------


def _word_scores(words: Sequence[Word], windows: SpeakerWindows, centroids: np.ndarray) -> np.ndarray:
    """(n_words, k) mean similarity to each speaker centroid of the windows that overlap each word."""
    sims = windows.embeddings @ centroids.T
    centres = (windows.starts + windows.ends) / 2
    order = np.argsort(windows.starts)
    starts, ends, sims, centres = windows.starts[order], windows.ends[order], sims[order], centres[order]
    scores = np.zeros((len(words), len(centroids)))
    longest = float(np.max(ends - starts)) if len(starts) else 0.0
    for i, word in enumerate(words):
        lo = int(np.searchsorted(starts, word.start - longest))
        hi = int(np.searchsorted(starts, word.end))
        overlap = np.minimum(ends[lo:hi], word.end) - np.maximum(starts[lo:hi], word.start)
        hit = overlap > 0
        if np.any(hit):
            weights = overlap[hit]
            scores[i] = (weights[:, None] * sims[lo:hi][hit]).sum(axis=0) / weights.sum()
        elif len(centres):
            scores[i] = sims[int(np.argmin(np.abs(centres - (word.start + word.end) / 2)))]
    return scores


def _switch_costs(words: Sequence[Word], *, sentence_cost: float, pause_cost: float, mid_cost: float,
                  pause: float) -> np.ndarray:
    """Cost of a speaker change before word i (index 0 unused): cheap at sentence ends and pauses."""
    costs = np.full(len(words), mid_cost)
    for i in range(1, len(words)):
        gap = words[i].start - words[i - 1].end
        if _SENTENCE_END.search(words[i - 1].word.strip()):
            costs[i] = sentence_cost if gap < pause else sentence_cost / 2
        elif gap >= pause:
            costs[i] = pause_cost
        elif gap >= pause / 2:
            costs[i] = (pause_cost + mid_cost) / 2
    return costs


def smooth_labels(scores: np.ndarray, switch_costs: np.ndarray, *, temperature: float = 0.03) -> np.ndarray:
    """Best speaker sequence over the words (Viterbi): per-word evidence against the cost of changing speaker."""
    n, k = scores.shape
    if n == 0:
        return np.zeros(0, int)
    logits = scores / temperature
    logp = logits - logits.max(axis=1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))
    best = logp[0].copy()
    back = np.zeros((n, k), int)
    for i in range(1, n):
        stay = best
        switch = best.max() - switch_costs[i]
        from_switch = int(np.argmax(best))
        choose_switch = switch > stay
        back[i] = np.where(choose_switch, from_switch, np.arange(k))
        best = np.maximum(stay, switch) + logp[i]
    path = np.zeros(n, int)
    path[-1] = int(np.argmax(best))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def _units(transcript: Transcript) -> list[Word]:
    """The words to label; a transcript without word timestamps uses its segments as words."""
    words = transcript.words
    if words:
        return words
    return [Word(s.start, s.end, " " + s.text.strip(), 1.0) for s in transcript.segments if s.text.strip()]


def default_names(labels: Sequence[str], language: str) -> dict[str, str]:
    """"Spreker 1".. for Dutch, "Speaker 1".. otherwise."""
    word = "Spreker" if language == "nl" else "Speaker"
    return {label: f"{word} {label[1:]}" if label[1:].isdigit() else label for label in labels}


def words_to_turns(words: Sequence[Word], speaker_of_word: Sequence[int] | np.ndarray, *, language: str,
                   max_gap: float = 3.0, extra: dict[str, Any] | None = None) -> Turns:
    """Merge consecutive words of one speaker into turns; labels "S1", "S2".. in order of first appearance."""
    order: dict[int, str] = {}
    turns: list[Turn] = []
    current: list[Word] = []
    current_label = ""

    def close() -> None:
        if current:
            text = "".join(w.word for w in current).strip()
            turns.append(Turn(current_label, current[0].start, current[-1].end, re.sub(r"\s+", " ", text)))

    for word, cluster in zip(words, speaker_of_word, strict=True):
        label = order.setdefault(int(cluster), f"S{len(order) + 1}")
        if current and (label != current_label or word.start - current[-1].end > max_gap):
            close()
            current = []
        current_label = label
        current.append(word)
    close()
    return Turns(default_names(list(order.values()), language), tuple(turns), dict(extra or {}))


def label_words(words: Sequence[Word], windows: SpeakerWindows, *, num_speakers: int | None = None,
                max_speakers: int = MAX_SPEAKERS) -> tuple[np.ndarray, int]:
    """A speaker index for every word from the window embeddings, and the number of speakers found."""
    if num_speakers == 1 or len(windows.embeddings) == 0:
        return np.zeros(len(words), int), 1
    clustering = cluster_windows(windows.embeddings, num_speakers=num_speakers, max_speakers=max_speakers)
    k = len(clustering.centroids)
    if k == 1:
        return np.zeros(len(words), int), 1
    scores = _word_scores(words, windows, clustering.centroids)
    costs = _switch_costs(words, sentence_cost=1.0, pause_cost=2.0, mid_cost=12.0, pause=0.4)
    return smooth_labels(scores, costs), k


def diarize(audio: np.ndarray, transcript: Transcript, *, num_speakers: int | None = None,
            progress: Callable[[float], None] | None = None, max_speakers: int = MAX_SPEAKERS,
            max_gap: float = 3.0) -> Turns:
    """Give every word of `transcript` a speaker and merge the words into turns.

    Args:
        audio: the whole recording, 16 kHz mono float32.
        num_speakers: force this many speakers instead of estimating the count (1..10 automatically).
        max_gap: a pause longer than this (seconds) starts a new turn even when the speaker stays the same.
    """
    if num_speakers is not None and not 1 <= num_speakers <= 2 * MAX_SPEAKERS:
        raise ConfigError(f"--speakers {num_speakers}: give a number of speakers from 1 to {2 * MAX_SPEAKERS}, "
                          "or leave it out to count them automatically")
    words = _units(transcript)
    report = progress or (lambda _fraction: None)
    if not words:
        report(1.0)
        return Turns({}, (), {"diarization": {"speakers": 0, "forced": num_speakers is not None}})
    regions = speech_regions(audio, progress=lambda f: report(0.1 * f))
    windows = embed_windows(audio, regions, progress=lambda f: report(0.1 + 0.8 * f))
    path, k = label_words(words, windows, num_speakers=num_speakers, max_speakers=max_speakers)
    report(0.95)
    log.info("diarization: %d speech regions, %d windows, %d speakers", len(regions), len(windows.embeddings), k)
    turns = words_to_turns(words, path, language=transcript.language, max_gap=max_gap,
                           extra={"diarization": {"speakers": len(set(path.tolist())),
                                                  "forced": num_speakers is not None,
                                                  "windows": len(windows.embeddings)}})
    report(1.0)
    return turns
