"""The espeak-ng conversation synthesizer: script parsing, truth times, Ogg/Opus round trip, the bundled sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from devtools import synth
from pipeline.core.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "recordings" / "voorbeeld-intervisie"


def _decode(path: Path, rate: int = synth.SAMPLE_RATE) -> np.ndarray:
    """Decode any audio file to mono float32 at `rate` with PyAV (as the pipeline does)."""
    import av

    chunks = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray()[0] for f in resampler.resample(frame)]
        chunks += [f.to_ndarray()[0] for f in resampler.resample(None)]
    return np.concatenate(chunks)


def _lag_ms(decoded: np.ndarray, original: np.ndarray, rate: int = synth.SAMPLE_RATE) -> float:
    """How much later (ms) the decoded signal is than the original, by cross-correlation over +-100 ms."""
    n = min(len(decoded), len(original)) - 2 * rate // 10
    window = original[rate // 10 : rate // 10 + n]
    best = max(range(-rate // 10, rate // 10), key=lambda k: float(np.dot(window, decoded[rate // 10 + k :][:n])))
    return 1000.0 * best / rate


# --- parse_script -------------------------------------------------------------------------------------------------


def test_parse_script_reads_turns_comments_and_pauses():
    lines = synth.parse_script("# a comment\n\nSanne: Goedemorgen.\n[pause 2.5]\nJoris: Dag Sanne: hoe is het?\n")
    assert [(x.speaker, x.text, x.pause_before) for x in lines] == [
        ("Sanne", "Goedemorgen.", 0.0),
        ("Joris", "Dag Sanne: hoe is het?", 2.5),
    ]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("Sanne: Hallo.\nzonder dubbelepunt\n", "demo.txt:2:"),
        ("# kop\n\nSanne: Hallo.\nJoris:   \n", "demo.txt:4:"),
        ("Sanne: Hallo.\n: wie zegt dit?\n", "demo.txt:2:"),
    ],
)
def test_parse_script_names_the_bad_line(text, where):
    with pytest.raises(InputError) as info:
        synth.parse_script(text, "demo.txt")
    message = str(info.value)
    assert message.startswith(where) and "Name: text" in message and "\n" not in message


def test_parse_script_without_turns_is_an_error():
    with pytest.raises(InputError, match=r"^demo.txt: no `Name: text` lines"):
        synth.parse_script("# alleen commentaar\n[pause 1]\n", "demo.txt")


# --- synthesize ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.needs_system("espeak-ng")
def test_truth_times_match_the_speech_in_the_audio():
    script = "Sanne: Goedemorgen allemaal.\nJoris: Ik heb een vraag.\n[pause 2.0]\nFatima: Dat neem ik mee.\n"
    audio, turns = synth.synthesize(synth.parse_script(script), gap=0.7, lead=0.5)
    rate = synth.SAMPLE_RATE
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert [t.speaker for t in turns] == ["Sanne", "Joris", "Fatima"]
    assert turns[0].start == pytest.approx(0.5, abs=1e-3)
    assert turns[2].start - turns[1].end == pytest.approx(2.7, abs=2e-3)  # gap + pause
    assert len(audio) / rate == pytest.approx(turns[-1].end + 0.5, abs=2e-3)

    loud = np.abs(audio) > 1e-3
    edges = []
    for turn in turns:
        a, b = round(turn.start * rate), round(turn.end * rate)
        inside = np.flatnonzero(loud[a:b])
        # speech starts and ends within 5 ms of the truth ...
        edges += [inside[0] / rate * 1000, (b - a - 1 - inside[-1]) / rate * 1000]
        assert inside[0] <= 0.005 * rate and (b - a - 1 - inside[-1]) <= 0.005 * rate
    # ... and everything outside the turns is silence (truth times are rounded to 1 ms: allow 2 ms)
    outside = np.ones(len(audio), bool)
    for turn in turns:
        outside[round((turn.start - 0.002) * rate) : round((turn.end + 0.002) * rate)] = False
    assert not loud[outside].any()
    print(f"\ntruth vs audio edges: max {max(edges):.2f} ms; {outside.sum() / rate:.2f} s of silence outside turns")


@pytest.mark.slow
@pytest.mark.needs_system("espeak-ng")
def test_speakers_get_distinct_voices_in_order_of_appearance():
    lines = synth.parse_script("A: Dag.\nB: Dag.\nA: Ja.\nC: Nee.\n")
    audio, turns = synth.synthesize(lines)
    assert [t.speaker for t in turns] == ["A", "B", "A", "C"]
    rate = synth.SAMPLE_RATE
    # the same words in two voices are different signals (different variant and pitch)
    a, b = (audio[round(t.start * rate) : round(t.end * rate)] for t in turns[:2])
    assert abs(len(a) - len(b)) > 0.01 * rate or not np.allclose(a[: len(b)], b[: len(a)], atol=0.05)
    assert len({(v.variant, v.pitch) for v in synth.VOICES}) == len(synth.VOICES)


# --- write_opus ---------------------------------------------------------------------------------------------------


def test_write_opus_round_trip_keeps_duration_and_timing(tmp_path):
    rate = synth.SAMPLE_RATE
    t = np.arange(int(3.3 * rate)) / rate
    # a 440 Hz tone switched on and off: the bursts must come back at the same times
    signal = (0.5 * np.sin(2 * np.pi * 440 * t) * ((t % 1.0) > 0.5)).astype(np.float32)
    out = synth.write_opus(tmp_path / "tone.ogg", signal)
    import av

    with av.open(str(out)) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.channels) == ("opus", 1)
    decoded = _decode(out)
    lag = _lag_ms(decoded, signal)
    print(f"\nopus round trip: {len(signal) / rate:.3f} s -> {len(decoded) / rate:.3f} s, offset {lag:.2f} ms")
    assert abs(len(decoded) - len(signal)) / rate < 0.1
    assert abs(lag) < 5.0
    onset = np.flatnonzero(np.abs(decoded) > 0.1)[0] / rate
    assert onset == pytest.approx(0.5, abs=0.01)
    assert out.stat().st_size < 3.3 * 24000 / 8 * 1.5  # about 24 kbit/s


# --- command line -------------------------------------------------------------------------------------------------


def test_cli_reports_a_bad_script_in_one_line(tmp_path, capsys):
    script = tmp_path / "bad.txt"
    script.write_text("Sanne: Hallo.\nwie zegt dit\n", encoding="utf-8")
    assert synth.main([str(script), str(tmp_path / "x.ogg")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{script}:2:" in err
    assert not (tmp_path / "x.ogg").exists()
    assert synth.main([str(tmp_path / "missing.txt"), str(tmp_path / "x.ogg")]) == 1
    assert "not found" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.needs_system("espeak-ng")
def test_cli_writes_opus_wav_and_truth(tmp_path):
    script = tmp_path / "s.txt"
    script.write_text("Sanne: Goedemorgen.\nPieter: Dag Sanne.\nSanne: Zullen we beginnen?\n", encoding="utf-8")
    ogg, wav, truth = tmp_path / "s.ogg", tmp_path / "s.wav", tmp_path / "s.truth.json"
    assert synth.main([str(script), str(ogg), "--truth", str(truth), "--wav", str(wav)]) == 0
    data = json.loads(truth.read_text(encoding="utf-8"))
    assert data["speakers"] == ["Sanne", "Pieter"]
    assert [t["text"] for t in data["turns"]] == ["Goedemorgen.", "Dag Sanne.", "Zullen we beginnen?"]
    assert all(t["start"] < t["end"] for t in data["turns"])
    original, decoded = _decode(wav), _decode(ogg)
    assert abs(len(decoded) - len(original)) / synth.SAMPLE_RATE < 0.1
    assert abs(_lag_ms(decoded, original)) < 5.0


# --- the bundled sample -------------------------------------------------------------------------------------------


def test_bundled_sample_matches_its_script():
    """The committed .ogg, truth and script belong together (regenerate all three with the README command)."""
    truth = json.loads(SAMPLE.with_suffix(".truth.json").read_text(encoding="utf-8"))
    lines = synth.parse_script(SAMPLE.with_suffix(".txt").read_text(encoding="utf-8"))
    assert [(t["speaker"], t["text"]) for t in truth["turns"]] == [(x.speaker, x.text) for x in lines]
    assert 3 <= len(truth["speakers"]) <= 4
    audio = _decode(SAMPLE.with_suffix(".ogg"))
    duration = len(audio) / synth.SAMPLE_RATE
    print(f"\nsample: {duration:.1f} s, {SAMPLE.with_suffix('.ogg').stat().st_size / 1e3:.0f} kB")
    assert 120 <= duration <= 240
    assert duration == pytest.approx(truth["turns"][-1]["end"] + 0.5, abs=0.1)
    rate = synth.SAMPLE_RATE
    for turn in truth["turns"]:
        inside = audio[round(turn["start"] * rate) : round(turn["end"] * rate)]
        gap_before = audio[max(0, round(turn["start"] * rate) - rate // 5) : round(turn["start"] * rate) - rate // 50]
        # speech inside each turn, near-silence just before it (Opus leaves only faint ringing)
        assert np.sqrt(np.mean(inside**2)) > 0.02
        assert gap_before.size == 0 or np.abs(gap_before).max() < 0.02


def test_write_opus_is_reproducible(tmp_path):
    """Regenerating the sample from the same script gives the same bytes, so git sees no change."""
    rng = np.random.default_rng(0)
    signal = (0.1 * rng.standard_normal(synth.SAMPLE_RATE)).astype(np.float32)
    first = synth.write_opus(tmp_path / "a.ogg", signal).read_bytes()
    assert synth.write_opus(tmp_path / "b.ogg", signal).read_bytes() == first
