"""Audio decoding: every common format to 16 kHz mono, and one clear error for each kind of bad file."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from conftest import tone

from devtools.synth import write_wav
from pipeline.cli import main
from pipeline.core.errors import AudioError
from pipeline.ingest.audio import SAMPLE_RATE, load_audio


def encode(path: Path, samples: np.ndarray, codec: str, fmt: str | None = None, rate: int = 44100,
           layout: str = "stereo") -> Path:
    """Write `samples` (16 kHz mono) with PyAV in another rate/layout, as a recorder would."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = layout
        resampler = av.AudioResampler(format=stream.codec_context.codec.audio_formats[0].name, layout=layout,
                                      rate=rate)
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for chunk in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.mark.parametrize("name,codec,fmt", [
    ("a.wav", "pcm_s16le", None), ("a.mp3", "libmp3lame", None), ("a.m4a", "aac", "ipod"),
    ("a.ogg", "libopus", "ogg"), ("a.opus", "libopus", "ogg"), ("a.flac", "flac", None),
    ("a.webm", "libopus", "webm"), ("a.mp4", "aac", "mp4"),
])
def test_formats_decode_to_16k_mono(tmp_path: Path, name: str, codec: str, fmt: str | None) -> None:
    signal = tone(3.0, freq=440)
    rate = 48000 if codec == "libopus" else 44100
    path = encode(tmp_path / name, signal, codec, fmt, rate=rate)
    audio = load_audio(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / SAMPLE_RATE - 3.0) < 0.1  # codec padding only
    # The tone survives: its spectrum peaks at 440 Hz.
    spectrum = np.abs(np.fft.rfft(audio[SAMPLE_RATE // 2: SAMPLE_RATE * 2]))
    peak = np.fft.rfftfreq(SAMPLE_RATE * 3 // 2, 1 / SAMPLE_RATE)[int(np.argmax(spectrum))]
    assert abs(peak - 440) < 5


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err.strip()
    return code, err


def assert_one_line_error(code: int, err: str, path: Path, *words: str) -> None:
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("oogst: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert str(path) in lines[0]
    for word in words:
        assert word in lines[0].lower(), lines[0]


def test_missing_file(tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "weg.m4a"
    assert_one_line_error(*run_cli(["run", str(path), "--out-dir", str(out_dir)], capsys), path, "not found")


def test_not_media(tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notulen.mp3"
    path.write_text("Dit is geen audio maar tekst die iemand een verkeerde naam gaf.\n" * 50)
    assert_one_line_error(*run_cli(["run", str(path), "--out-dir", str(out_dir)], capsys), path, "not an audio")


def test_video_without_audio(tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scherm.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 10, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    assert_one_line_error(*run_cli(["run", str(path), "--out-dir", str(out_dir)], capsys), path,
                          "no audio stream")


def test_truncated_file(tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = write_wav(tmp_path / "whole.wav", tone(20.0))
    path = tmp_path / "afgebroken.wav"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])  # the header still says 20 s
    assert_one_line_error(*run_cli(["run", str(path), "--out-dir", str(out_dir)], capsys), path, "truncated")


@pytest.mark.parametrize("seconds", [25.0, 34.0, 60.0, 600.0])
def test_the_upload_check_passes_a_whole_recording_and_refuses_it_cut_off(tmp_path: Path, seconds: float) -> None:
    """probe_audio (the web app's upload check) reads near the end: a whole recording just over the probe's reach
    (25-60 s) passes, the same with its second half cut off is refused as truncated."""
    from pipeline.ingest.audio import probe_audio

    whole = write_wav(tmp_path / "whole.wav", tone(seconds))
    assert abs((probe_audio(whole).seconds or 0) - seconds) < 0.1
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # the header still says the whole length
    with pytest.raises(AudioError, match="truncated"):
        probe_audio(cut)


def test_corrupt_data(tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = encode(tmp_path / "good.m4a", tone(20.0), "aac", "ipod")
    data = bytearray(good.read_bytes())
    rng = np.random.default_rng(1)
    data[64:] = rng.integers(0, 256, len(data) - 64, dtype=np.uint8).tobytes()  # keep only the file magic
    path = tmp_path / "kapot.m4a"
    path.write_bytes(bytes(data))
    code, err = run_cli(["run", str(path), "--out-dir", str(out_dir)], capsys)
    assert_one_line_error(code, err, path)
    assert any(word in err for word in ("corrupt", "not an audio", "truncated"))


def test_zero_length(tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "leeg.wav"
    empty.write_bytes(b"")
    assert_one_line_error(*run_cli(["run", str(empty), "--out-dir", str(out_dir)], capsys), empty, "empty")
    header_only = write_wav(tmp_path / "niets.wav", np.zeros(0, np.float32))
    assert_one_line_error(*run_cli(["run", str(header_only), "--out-dir", str(out_dir)], capsys), header_only,
                          "no audio")


def test_pure_silence(tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_wav(tmp_path / "stil.wav", np.zeros(16000 * 30, np.float32))
    assert_one_line_error(*run_cli(["run", str(path), "--out-dir", str(out_dir)], capsys), path, "silence")
    assert not (out_dir / "stil" / "transcript.json").exists()


def test_silence_error_is_audio_error(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "stil.wav", np.zeros(16000 * 2, np.float32))
    with pytest.raises(AudioError, match="only silence"):
        load_audio(path)
