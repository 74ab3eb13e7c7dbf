"""Speak a scripted conversation with espeak-ng voices: the sample recording and test audio with known truth.

A script is plain text, one turn a line: `Name: what they say`. Lines starting with `#` are comments; a line
`[pause 4.0]` inserts silence. Each speaker gets a distinct espeak-ng voice (variant, pitch, rate, word gap) in
order of appearance. Returns the ground truth (who spoke when) next to the audio, so tests can score WER and speaker
attribution. Needs the Debian package `espeak-ng` (tests and `make sample`; not needed to run Oogst).

Command line (regenerates the bundled sample, see recordings/README.md):
`python -m devtools.synth SCRIPT OUT.ogg [--truth TRUTH.json] [--wav OUT.wav]`.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.errors import InputError, OogstError
from pipeline.core.types import SAMPLE_RATE

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Voice:
    variant: str  # espeak-ng voice variant, e.g. "m3"
    pitch: int  # 0-99
    rate: int  # words per minute
    word_gap: int = 0  # extra pause between words, in units of 10 ms (espeak-ng -g)


# Assigned in order of appearance. Tuned on the sample recording for what Whisper base understands (see
# recordings/README.md): a word gap of 60-80 ms helped every voice; espeak's female variants and raised pitch were
# understood worst, so only the first voice is female. The first four are mutually distinct for speaker embeddings
# (resemblyzer centroid cosine <= 0.81, the same voice at another pitch >= 0.97); 5 and 6 are extras.
VOICES: tuple[Voice, ...] = (
    Voice("f5", 55, 160, 6),
    Voice("m2", 40, 150, 8),
    Voice("robert", 50, 150, 6),
    Voice("m8", 30, 160, 6),
    Voice("f4", 60, 160, 6),
    Voice("m3", 45, 150, 6),
)


@dataclass(frozen=True)
class Line:
    speaker: str
    text: str
    pause_before: float = 0.0  # extra silence from a `[pause N]` line


@dataclass(frozen=True)
class SpokenTurn:
    speaker: str
    start: float
    end: float
    text: str


_PAUSE = re.compile(r"^\[pause\s+([0-9.]+)\]$")


def parse_script(text: str, source: str = "script") -> list[Line]:
    """Parse `Name: text` lines (and `[pause N]`) into Lines."""
    lines: list[Line] = []
    pending = 0.0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if m := _PAUSE.match(line):
            pending += float(m.group(1))
            continue
        name, sep, said = line.partition(":")
        if not sep or not name.strip() or not said.strip():
            raise InputError(f"{source}:{number}: expected `Name: text`, got {line[:40]!r}")
        lines.append(Line(name.strip(), said.strip(), pending))
        pending = 0.0
    if not lines:
        raise InputError(f"{source}: no `Name: text` lines found")
    return lines


def _espeak(text: str, voice: Voice, out: Path) -> np.ndarray:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise OogstError("espeak-ng is not installed (Debian: `apt-get install espeak-ng`; `make test` does this)")
    subprocess.run(
        [
            exe,
            "-v",
            f"nl+{voice.variant}",
            "-p",
            str(voice.pitch),
            "-s",
            str(voice.rate),
            "-g",
            str(voice.word_gap),
            "-w",
            str(out),
            text,
        ],
        check=True,
        capture_output=True,
    )
    with wave.open(str(out), "rb") as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
    return _resample(pcm, rate, SAMPLE_RATE)


def _resample(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return samples
    from scipy.signal import resample_poly

    g = np.gcd(src, dst)
    return resample_poly(samples, dst // g, src // g).astype(np.float32)


def _trim(samples: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    loud = np.flatnonzero(np.abs(samples) > threshold)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples[:0]


def synthesize(
    lines: list[Line], *, gap: float = 0.7, voices: dict[str, Voice] | None = None, lead: float = 0.5
) -> tuple[np.ndarray, list[SpokenTurn]]:
    """Speak `lines` into one 16 kHz mono float32 signal; returns it and the exact time of every turn."""
    assigned: dict[str, Voice] = dict(voices or {})
    for line in lines:
        if line.speaker not in assigned:
            assigned[line.speaker] = VOICES[len(assigned) % len(VOICES)]
    pieces: list[np.ndarray] = [np.zeros(int(lead * SAMPLE_RATE), np.float32)]
    truth: list[SpokenTurn] = []
    cursor = lead
    with tempfile.TemporaryDirectory() as tmp:
        for i, line in enumerate(lines):
            if i and (line.pause_before or gap):
                silence = np.zeros(int((gap + line.pause_before) * SAMPLE_RATE), np.float32)
                pieces.append(silence)
                cursor += len(silence) / SAMPLE_RATE
            speech = _trim(_espeak(line.text, assigned[line.speaker], Path(tmp) / f"{i}.wav"))
            pieces.append(0.8 * speech / max(1e-6, float(np.abs(speech).max())))
            truth.append(
                SpokenTurn(line.speaker, round(cursor, 3), round(cursor + len(speech) / SAMPLE_RATE, 3), line.text)
            )
            cursor += len(speech) / SAMPLE_RATE
    pieces.append(np.zeros(int(lead * SAMPLE_RATE), np.float32))
    return np.concatenate(pieces), truth


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return path


def write_opus(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE, bitrate: int = 24000) -> Path:
    """Write an Ogg/Opus file (small enough to commit) with PyAV."""
    import av

    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    # bitexact: a fixed stream serial number and no version tag, so regenerating gives the same bytes
    with av.open(str(path), "w", format="ogg", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream("libopus", rate=48000)
        stream.bit_rate = bitrate
        stream.layout = "mono"
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        step = rate  # one second per frame keeps memory flat
        for offset in range(0, len(pcm), step):
            frame = av.AudioFrame.from_ndarray(pcm[None, offset : offset + step], format="s16", layout="mono")
            frame.sample_rate = rate
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    container.mux(packet)
        for resampled in resampler.resample(None):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def truth_dict(turns: list[SpokenTurn]) -> dict:
    """The ground truth as JSON: speakers in order of appearance and every turn with its exact times."""
    speakers = list(dict.fromkeys(turn.speaker for turn in turns))
    return {
        "speakers": speakers,
        "turns": [{"speaker": t.speaker, "start": t.start, "end": t.end, "text": t.text} for t in turns],
    }


def render(
    script: Path, out: Path, *, truth: Path | None = None, wav: Path | None = None
) -> tuple[float, list[SpokenTurn]]:
    """Speak a script file into an Ogg/Opus file (and optionally a WAV copy and the truth JSON).

    Returns the duration in seconds and the spoken turns.
    """
    from pipeline.core.session import atomic_write_json

    script = Path(script)
    try:
        text = script.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{script}: not found (give a script with `Name: text` lines)") from None
    except UnicodeDecodeError:
        raise InputError(f"{script}: not UTF-8 text (save the script as UTF-8)") from None
    audio, turns = synthesize(parse_script(text, str(script)))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")  # renamed when complete: never a half file under `out`
    try:
        os.replace(write_opus(partial, audio), out)
    finally:
        partial.unlink(missing_ok=True)
    if wav is not None:
        write_wav(Path(wav), audio)
    if truth is not None:
        atomic_write_json(Path(truth), truth_dict(turns))
    duration = len(audio) / SAMPLE_RATE
    log.info("%s: %.1f s, %d turns, %d speakers", out, duration, len(turns), len({t.speaker for t in turns}))
    return duration, turns


def main(argv: list[str] | None = None) -> int:
    """`python -m devtools.synth SCRIPT OUT.ogg [--truth T.json] [--wav OUT.wav]`."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.synth",
        description="Speak a `Name: text` script with distinct espeak-ng voices into an Ogg/Opus recording, "
        "with the exact time of every turn as ground truth.",
    )
    parser.add_argument("script", type=Path, help="text file, one `Name: text` turn a line; `[pause N]` = silence")
    parser.add_argument("out", type=Path, help="Ogg/Opus file to write (mono, 24 kbit/s)")
    parser.add_argument("--truth", type=Path, help="also write the ground truth JSON {speakers, turns} here")
    parser.add_argument("--wav", type=Path, help="also write the uncompressed 16 kHz WAV here")
    args = parser.parse_args(argv)
    try:
        duration, turns = render(args.script, args.out, truth=args.truth, wav=args.wav)
    except OogstError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{args.out}: {duration:.1f} s, {len(turns)} turns, {len({t.speaker for t in turns})} speakers"
        + (f"; truth in {args.truth}" if args.truth else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
