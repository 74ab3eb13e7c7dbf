"""The web process stays light on long recordings: the upload check probes (no whole decode), clips are cut by a
helper process (or the worker), the transcript comes a page at a time. In process (Starlette's test client), with
the web process's own decoders made to fail: what works anyway was not done in this process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import tone

from devtools.synth import write_wav
from pipeline.core.session import CLIPS, TRANSCRIPT, TURNS, Session
from pipeline.core.types import SAMPLE_RATE, Segment, Transcript, Turn, Turns, Word
from tests.web_helpers import csrf, make_client, upload


@pytest.fixture()
def no_decoding_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding a whole recording (or a span of it) in this process fails the test."""
    from pipeline.ingest import audio

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the web process decoded audio")

    monkeypatch.setattr(audio, "load_audio", refuse)
    monkeypatch.setattr(audio, "load_span", refuse)


def test_the_upload_check_probes_and_decodes_no_whole_recording(tmp_path: Path, no_decoding_here: None) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    wav = write_wav(tmp_path / "lang.wav", tone(120.0))
    assert upload(client, wav).status_code == 303
    assert (cfg.out_dir / "lang" / "lang.wav").is_file()


def test_a_cut_off_recording_is_found_by_its_end(tmp_path: Path, no_decoding_here: None) -> None:
    from tests.test_audio import encode

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    whole = encode(tmp_path / "heel.mp3", tone(60.0), "libmp3lame")
    cut = tmp_path / "afgebroken.mp3"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])  # the upload stopped halfway
    answer = upload(client, cut)
    assert answer.status_code == 400
    assert "afgebroken.mp3 is niet compleet" in answer.text and "het einde ontbreekt" in answer.text
    assert not cfg.queue.list()


def processed_by_hand(out: Path, seconds: int = 600, speakers: int = 2) -> Session:
    """A session as the worker leaves it: a recording (a tone per speaker, taking turns every 5 s) and its
    transcript and turns, written directly."""
    root = out / "lang"
    root.mkdir(parents=True)
    audio = np.concatenate([tone(5.0, freq=200.0 + 150 * (k % speakers)) for k in range(seconds // 5)])
    write_wav(root / "lang.wav", audio)
    segments, turns = [], []
    for k in range(seconds // 5):
        start = 5.0 * k
        words = tuple(Word(start + i, start + i + 0.8, f" woord{k}-{i}", 0.3 if i == 2 else 0.9) for i in range(4))
        segments.append(Segment(start, start + 4.0, "".join(w.word for w in words).strip(), words))
        turns.append(Turn(f"S{k % speakers + 1}", start, start + 4.0, segments[-1].text))
    session = Session(root)
    session.write(TRANSCRIPT, Transcript("nl", float(seconds), "scripted", tuple(segments), {}).to_dict())
    labels = {f"S{n + 1}": f"Spreker {n + 1}" for n in range(speakers)}
    session.write(TURNS, Turns(labels, tuple(turns), {}).to_dict())
    assert len(audio) == seconds * SAMPLE_RATE
    return session


def test_clips_are_cut_by_a_helper_process_and_kept(tmp_path: Path, no_decoding_here: None) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    session = processed_by_hand(cfg.out_dir)
    first = client.get("/s/lang/clips/1.wav")
    assert first.status_code == 200 and first.headers["content-type"] == "audio/wav"
    assert first.content[:4] == b"RIFF" and 16000 * 2 * 3 < len(first.content) < 16000 * 2 * 9  # seconds, not all
    kept = {p.name: p.stat().st_mtime_ns for p in session.path(CLIPS).iterdir()}
    assert client.get("/s/lang/clips/0.wav").status_code == 200
    assert {p.name: p.stat().st_mtime_ns for p in session.path(CLIPS).iterdir()} == kept  # cut once
    token = csrf(client, "/s/lang/speakers")
    client.post("/s/lang/speakers", data={"csrf": token, "name_0": "Sanne"})  # names change no clip
    assert client.get("/s/lang/clips/0.wav").status_code == 200
    assert {p.name: p.stat().st_mtime_ns for p in session.path(CLIPS).iterdir()} == kept
    assert client.get("/s/lang/clips/7.wav").status_code == 404


def test_the_worker_cuts_the_clips_after_a_run(tmp_path: Path) -> None:
    from pipeline.core.settings import Settings
    from pipeline.service import Oogst
    from pipeline.speakers.clips import ready_clips

    session = processed_by_hand(tmp_path / "outputs")
    assert ready_clips(session) is None
    Oogst(Settings(out_dir=tmp_path / "outputs"), front="worker").cut_clips(session)
    clips = ready_clips(session)
    assert clips is not None and sorted(clips) == [0, 1] and all(p.is_file() for p in clips.values())


def test_the_transcript_comes_a_page_at_a_time(tmp_path: Path, no_decoding_here: None) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    processed_by_hand(cfg.out_dir, seconds=1250)  # 250 lines
    page = client.get("/s/lang/transcript").text
    assert page.count('class="turn"') == 100 and 'id="t0"' in page and 'id="t100"' not in page
    assert "regels 1–100 van 250" in page and "?from=100" in page
    last = client.get("/s/lang/transcript?from=200").text
    assert last.count('class="turn"') == 50 and 'id="t249"' in last and "?from=100" in last
    assert '<mark class="low">woord249-2</mark>' in last  # the uncertain word of the line, marked
    token = csrf(client, "/s/lang/transcript?from=100")
    answer = client.post("/s/lang/transcript", data={"csrf": token, "n": "123", "text": "Verbeterd."},
                         follow_redirects=False)
    assert answer.headers["location"] == "/s/lang/transcript?from=100&saved=1#t123"  # back on its page
    assert client.get("/s/lang/transcript?from=9999").text.count('class="turn"') == 50
