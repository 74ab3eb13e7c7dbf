"""The web process's memory on two-hour uploads: a real `oogst serve` (server + worker), a 2-hour 16 kHz WAV (230 MB)
and a 2-hour video (.mp4, AAC sound), both made here, uploaded through the page's form; the server process's peak
resident memory (VmHWM in /proc) stays under 600 MB. The figures go to outputs/bench/web-memory.json."""

from __future__ import annotations

import json
import re
import wave
from fractions import Fraction
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.web_helpers import ROOT, csrf, free_port, running_server, upload, wait_for

RATE = 16000
LIMIT_MB = 600


def long_wav(path: Path, seconds: int) -> Path:
    """16 kHz mono 16-bit: two tones taking turns every 5 s with a second of silence, written a minute at a time."""
    t = np.arange(5 * RATE) / RATE
    turns = [(0.2 * np.sin(2 * np.pi * f * t) * 32767).astype("<i2") for f in (220.0, 370.0)]
    block = np.concatenate([turns[0], np.zeros(RATE, "<i2"), turns[1], np.zeros(RATE, "<i2")]).tobytes()  # 12 s
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        for _ in range(seconds // 12):
            out.writeframes(block)
    return path


def long_video(path: Path, seconds: int, block: int = 10) -> Path:
    """An .mp4 with a small video track and an AAC sound track: one `block` of seconds encoded with PyAV, its packets
    muxed again and again at later times (no encoder runs for the rest, so two hours take seconds)."""
    import av

    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("mpeg4", rate=1)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.codec_context.gop_size = 1
        sound = out.add_stream("aac", rate=RATE)
        sound.layout = "mono"
        resampler = av.AudioResampler(format=sound.codec_context.codec.audio_formats[0].name, layout="mono",
                                      rate=RATE)
        t = np.arange(block * RATE) / RATE
        pcm = (0.2 * np.sin(2 * np.pi * np.where(t < block / 2, 220, 370) * t) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, 0, Fraction(1, RATE)
        packets = [p for f in resampler.resample(frame) for p in sound.encode(f)] + list(sound.encode(None))
        image = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 90, np.uint8), format="rgb24")
        image.pts, image.time_base = 0, Fraction(1, 1)
        picture = bytes(next(iter(video.encode(image))))
        list(video.encode(None))
        step = int(block * RATE)
        for k in range(seconds // block):
            for p in packets:
                if p.pts is None or not 0 <= p.pts < step:
                    continue
                copy = av.Packet(bytes(p))
                copy.stream, copy.time_base, copy.duration = sound, p.time_base, p.duration
                copy.pts = copy.dts = p.pts + k * step
                out.mux(copy)
            for s in range(block):
                copy = av.Packet(picture)
                copy.stream, copy.time_base, copy.duration, copy.is_keyframe = video, Fraction(1, 1), 1, True
                copy.pts = copy.dts = k * block + s
                out.mux(copy)
    return path


def memory_mb(pid: int) -> dict[str, float]:
    """The process's resident memory now and its peak (VmRSS, VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return {key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M)[1]) / 1024  # type: ignore[index]
            for key in ("VmRSS", "VmHWM")}


@pytest.mark.slow
def test_two_hour_uploads_keep_the_web_process_under_600_mb(tmp_path: Path) -> None:
    from pipeline.ingest.audio import probe_audio

    recordings = [long_wav(tmp_path / "twee-uur.wav", 7200), long_video(tmp_path / "twee-uur-video.mp4", 7200)]
    assert recordings[0].stat().st_size > 220 * 10**6  # about 230 MB of 16 kHz 16-bit audio
    assert (probe_audio(recordings[1]).seconds or 0) >= 7200 and probe_audio(recordings[1]).video
    out, state, port = tmp_path / "outputs", tmp_path / "state", free_port()
    figures: dict[str, object] = {}
    with running_server(out, state, port) as server:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            client.get("/")
            figures["start"] = memory_mb(server.pid)
            for path in recordings:
                answer = upload(client, path, language="nl")
                assert answer.status_code == 303, answer.text[-500:]
                name = answer.headers["location"].rsplit("/", 1)[-1]
                job = client.get(f"/s/{name}/progress.json").json()["job"]
                # the worker would now take minutes over it (its memory is `make bench`'s); stop it
                client.post(f"/jobs/{job}/cancel", data={"csrf": csrf(client), "back": f"/s/{name}"})
                wait_for(lambda n=name: client.get(f"/s/{n}/progress.json").json()["status"] == "cancelled", 120,
                         f"the job of {name} to stop")
                for page in (f"/s/{name}", "/jobs", "/", f"/s/{name}/events"):
                    assert client.get(page).status_code == 200
                figures[path.name] = {"mb": round(path.stat().st_size / 2**20, 1), **memory_mb(server.pid)}
            figures["end"] = memory_mb(server.pid)
    report = ROOT / "outputs" / "bench"
    report.mkdir(parents=True, exist_ok=True)
    (report / "web-memory.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    peak = float(figures["end"]["VmHWM"])  # type: ignore[index]
    assert peak < LIMIT_MB, figures
