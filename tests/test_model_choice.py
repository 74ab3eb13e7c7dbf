"""A session's Whisper model: chosen by name and kept, recorded by name and hash, named on the draft's last line,
with its own doubt thresholds; corrections carried to a new transcript; the kind of worker a job goes to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeline.insights.confidence as confidence
from pipeline.asr.options import TranscribeOptions
from pipeline.asr.transcribe import transcribe
from pipeline.core.errors import ConfigError, ModelError
from pipeline.core.layers import apply_corrections, carry_corrections
from pipeline.core.session import CORRECTIONS, DIARIZATION, TRANSCRIPT, Session
from pipeline.core.settings import Settings
from pipeline.core.types import RunRequest, Segment, Transcript, Turn, Turns, Word
from pipeline.insights.confidence import Recognition, Thresholds, thresholds_for
from pipeline.jobs.celery_queue import QUEUE_NAME, kind_queue, queue_for
from pipeline.jobs.engines import job_kind, worker_precision
from pipeline.run import carry
from pipeline.service import Oogst, chosen_model
from pipeline.testing import ScriptedBackend


# -- the name a session keeps ---------------------------------------------------------------------------------------
def test_chosen_models_are_names_and_hub_names_are_refused(tmp_path: Path) -> None:
    assert chosen_model("whisper-large-v3") == "large-v3" and chosen_model("turbo") == "large-v3-turbo"
    folder = tmp_path / "my-ct2-model"
    folder.mkdir()
    assert chosen_model(str(folder)) == str(folder)  # a folder on this machine, as given
    with pytest.raises(ModelError, match="oogst models get") as info:
        chosen_model("Systran/faster-whisper-small")
    assert "\n" not in str(info.value)


def _transcript(session: Session, model: str, **extra: object) -> None:
    session.root.mkdir(parents=True, exist_ok=True)
    session.write(TRANSCRIPT, Transcript("nl", 10.0, model, (Segment(0.0, 1.0, "Goedemorgen."),), dict(extra))
                  .to_dict())


def test_a_session_keeps_its_model_unless_one_is_chosen(tmp_path: Path) -> None:
    oogst = Oogst(Settings(out_dir=tmp_path, model="small"))
    session = Session(tmp_path / "sessie")
    request = RunRequest(str(tmp_path / "sessie.wav"))
    assert oogst.run_settings(request).model == "small"  # a new session: the config's model
    _transcript(session, "whisper-large-v3", model_sha256="ab" * 32)
    assert oogst.run_settings(request).model == "large-v3"  # the session's own
    chosen = oogst.checked(RunRequest(request.input, model="whisper-medium"))
    assert chosen.model == "medium" and oogst.run_settings(chosen).model == "medium"
    _transcript(session, "import:vtt", imported=True)
    assert oogst.run_settings(request).model == "small"


def test_transcript_records_the_model_by_name_and_hash_never_a_path() -> None:
    backend = ScriptedBackend([Segment(0.0, 1.0, "Goedemorgen.", (Word(0.0, 1.0, " Goedemorgen.", 0.9),))], 2.0,
                              model_name="whisper-large-v3")
    backend.model_sha256 = "e5" * 32  # type: ignore[attr-defined]
    backend.precision = "float16"  # type: ignore[attr-defined]
    import numpy as np

    made = transcribe(np.zeros(32000, np.float32), TranscribeOptions(model="large-v3"), backend=backend).to_dict()
    assert (made["model"], made["model_sha256"], made["precision"]) == ("whisper-large-v3", "e5" * 32, "float16")
    assert TranscribeOptions(model="/srv/models/faster-whisper-large-v3").model_label == "faster-whisper-large-v3"
    assert TranscribeOptions(model="base").model_label == TranscribeOptions().model_label == "whisper-base"
    assert TranscribeOptions(model="turbo").cache_settings()["model"] == "whisper-large-v3-turbo"


def test_the_drafts_last_line_names_the_model() -> None:
    import docx

    from pipeline.core.types import Insights
    from pipeline.review.draft import DocSpec, build_document

    transcript = Transcript("nl", 10.0, "whisper-large-v3", (), {"backend": "faster-whisper", "precision": "float16",
                                                                "model_sha256": "e5b1a55b89c1" + "0" * 52})
    line = transcript.recogniser
    assert line == "Whisper large-v3 (faster-whisper, float16, sha256 e5b1a55b89c1)"
    spec = DocSpec("Sessie", __import__("datetime").date(2026, 3, 4), ("Sanne",), "sessie", "x", recogniser=line)
    doc = build_document(spec, Insights("nl", (), (), ()), None)
    assert doc.paragraphs[-1].text == f"Spraakherkenning: {line}."
    english = build_document(spec, Insights("en", (), (), ()), None)
    assert english.paragraphs[-1].text == f"Speech recognition: {line}."
    plain = build_document(DocSpec("Sessie", spec.date, (), "sessie", "x"), Insights("nl", (), (), ()), None)
    assert not any("Spraakherkenning" in p.text for p in plain.paragraphs)
    assert isinstance(doc, docx.document.Document)


# -- doubt thresholds per model -------------------------------------------------------------------------------------
def test_doubt_thresholds_are_per_model(monkeypatch: pytest.MonkeyPatch) -> None:
    base = thresholds_for("whisper-base")
    assert base == Thresholds(0.55, 0.80, True)
    assert thresholds_for("whisper-large-v3") == Thresholds(0.55, 0.80, False)  # base's until measured
    words = [Word(0.0, 0.5, " Goed", 0.7), Word(0.5, 1.0, " zo.", 0.99)]
    assert Recognition(words, model="whisper-large-v3").doubtful("Goed zo.", 0.0, 1.0) == []
    monkeypatch.setitem(confidence.THRESHOLDS, "whisper-large-v3", Thresholds(0.75, 0.9, True))
    assert Recognition(words, model="whisper-large-v3").doubtful("Goed zo.", 0.0, 1.0) == [(0, 4)]
    assert Recognition(words, model="whisper-base").doubtful("Goed zo.", 0.0, 1.0) == []


# -- corrections carried to a new transcript ------------------------------------------------------------------------
OLD = Turns({"S1": "Spreker 1", "S2": "Spreker 2"}, (
    Turn("S1", 0.5, 4.0, "Leidinggemenen is moeilijk voor mij."),
    Turn("S2", 4.5, 9.0, "Ik bel de vader morgen terug."),
    Turn("S1", 9.5, 14.0, "Dat vind ik een goed plan van je."),
))
# the same conversation heard by a better model: other turn times, better words, the last two turns merged
NEW = Turns({"S1": "Spreker 1", "S2": "Spreker 2"}, (
    Turn("S1", 0.3, 3.8, "Leidinggeven is moeilijk voor mij."),
    Turn("S2", 4.2, 14.0, "Ik bel de vader morgen terug. Dat vind ik een goed plan, zegt Sanne dan, en we gaan "
                          "verder met de volgende casus over het rooster van volgend jaar."),
))


def _corrections() -> dict[str, dict[str, str]]:
    return {"0.50": {"text": "Leidinggeven is moeilijk voor mij.", "original": OLD.turns[0].text, "speaker": "S1"},
            "9.50": {"text": "Dat vind ik een goed plan, Joris.", "original": OLD.turns[2].text, "speaker": "S1"}}


def test_corrections_move_where_their_text_aligns_and_the_rest_are_listed() -> None:
    placed, unplaced = carry_corrections(NEW, _corrections(), [])
    assert list(placed) == ["0.30"] and placed["0.30"]["moved_from"] == "0.50"
    assert placed["0.30"]["text"] == "Leidinggeven is moeilijk voor mij."
    assert placed["0.30"]["original"] == NEW.turns[0].text  # what the new model heard
    assert [(u["key"], u["text"]) for u in unplaced] == [("9.50", "Dat vind ik een goed plan, Joris.")]
    assert apply_corrections(NEW, placed).turns[0].text == "Leidinggeven is moeilijk voor mij."
    # on the old transcript nothing moves
    assert carry_corrections(OLD, _corrections(), []) == (_corrections(), [])
    # a later transcript where the line stands alone again takes the unplaced correction back
    later = Turns(NEW.speakers, (NEW.turns[0], Turn("S2", 4.2, 9.0, "Ik bel de vader morgen terug."),
                                 Turn("S1", 9.4, 14.0, "Dat vind ik een goed plan van jou.")))
    again, left = carry_corrections(later, placed, unplaced)
    assert left == [] and again["9.40"]["text"] == "Dat vind ik een goed plan, Joris."


def test_the_names_stage_carries_them_in_the_session_folder(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    session = Session(tmp_path / "sessie")
    session.root.mkdir()
    session.write(DIARIZATION, NEW.to_dict())
    session.save_corrections(_corrections())
    with caplog.at_level("WARNING"):
        carry(session)
    data = json.loads(session.path(CORRECTIONS).read_text(encoding="utf-8"))
    assert list(data["turns"]) == ["t30"] and [u["key"] for u in data["unplaced"]] == ["9.50"]  # by the id now
    assert session.unplaced_corrections()[0]["text"] == "Dat vind ik een goed plan, Joris."
    assert "1 correction made on an earlier transcript matches no line of this one" in caplog.text
    before = session.path(CORRECTIONS).read_bytes()
    carry(session)  # nothing changes the second time (the names key stays the same)
    assert session.path(CORRECTIONS).read_bytes() == before


# -- the kind of worker a job goes to -------------------------------------------------------------------------------
def test_jobs_go_to_the_queue_of_their_kind_of_worker(tmp_path: Path) -> None:
    assert queue_for({}) == QUEUE_NAME == "oogst"  # jobs of earlier versions
    assert queue_for({"model": "large-v3", "compute_type": "float16"}) == kind_queue("large-v3", "float16") \
        == "oogst.large-v3.float16"
    settings = Settings(out_dir=tmp_path, compute_type="int8")
    assert job_kind(RunRequest("a.wav"), settings) == {"model": "base", "compute_type": "int8"}
    assert job_kind(RunRequest("a.wav", model="large-v3", compute_type="float16"), settings) == \
        {"model": "large-v3", "compute_type": "float16"}
    assert job_kind(RunRequest("a.wav"), Settings(model="whisper-small", compute_type="float32")) == \
        {"model": "small", "compute_type": "float32"}
    with pytest.raises(ConfigError, match="installed model's name"):
        job_kind(RunRequest("a.wav", model=str(tmp_path)), settings)


def test_a_worker_with_a_cuda_gpu_uses_float16() -> None:
    assert worker_precision(Settings(compute_type="int8"), gpus=1) == "float16"
    assert worker_precision(Settings(compute_type="int8_float16"), gpus=1) == "int8_float16"
    assert worker_precision(Settings(compute_type="int8"), gpus=0) == "int8"


def test_the_form_offers_installed_models_or_the_kinds_of_worker_alive(tmp_path: Path) -> None:
    from conftest import MODELS

    oogst = Oogst(Settings(out_dir=tmp_path, models_dir=MODELS))
    assert oogst.model_choices()[0] == ("base", "base")
    kinds = [{"model": "large-v3", "compute_type": "float16", "device": "cuda"},
             {"model": "base", "compute_type": "int8", "device": "cpu"}]
    assert oogst.model_choices(kinds) == [("base@int8", "base (int8, CPU)"),
                                          ("large-v3@float16", "large-v3 (float16, GPU)")]


def test_the_readme_table_of_models_says_what_the_catalog_says() -> None:
    from conftest import ROOT

    from pipeline.models.catalog import MODELS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().split(" ")[0]: line for line in readme.splitlines()
            if line.startswith("| ") and any(line.startswith(f"| {name} ") for name in MODELS)}
    assert set(rows) == set(MODELS)
    for name, info in MODELS.items():
        row = rows[name]
        assert info.download.value in row, name
        if name != "base":
            assert f"RTF {info.cpu_rtf(2):.2f} on 2 cores" in row, name
        if info.dutch_wer.value[0].isdigit():
            assert info.dutch_wer.value.split(" ")[0] in row, name


def test_the_new_session_form_chooses_the_model(tmp_path: Path) -> None:
    from web_helpers import csrf, make_client, upload

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    page = client.get("/new").text
    assert '<select name="model" id="model"><option value="base">base</option>' in page
    source = tmp_path / "kort.vtt"
    source.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Sanne>Goedemorgen allemaal.</v>\n",
                      encoding="utf-8")
    assert upload(client, source, model="whisper-large-v3").status_code == 303
    [job] = cfg.queue.list("kort")
    assert job.params["model"] == "large-v3" and "compute_type" not in job.params  # one machine: its precision
    refused = upload(client, source, model="Systran/faster-whisper-large-v3")
    assert refused.status_code == 400 and "oogst models get" in refused.text
    assert "is niet geïnstalleerd en Oogst downloadt nooit" in refused.text  # the Dutch page, in Dutch
    assert len(cfg.queue.list(limit=10)) == 1
    assert csrf(client)  # the page still works


@pytest.mark.slow
def test_the_transcript_page_lists_corrections_that_fit_no_line(tmp_path: Path) -> None:
    from web_helpers import make_client, run_jobs, upload

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    source = tmp_path / "kort.vtt"
    source.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Sanne>Goedemorgen allemaal.</v>\n",
                      encoding="utf-8")
    assert upload(client, source).status_code == 303
    run_jobs(cfg)
    session = Session(cfg.out_dir / "kort")
    session.save_corrections({}, [{"key": "75.00", "text": "Dat vind ik een goed plan, Joris.",
                                   "original": "Dat vind ik een goed plan van je."},
                                  {"key": "t8050", "text": "Tot volgende week.", "original": "Tot volgende wee."}])
    page = client.get("/s/kort/transcript").text
    assert 'id="unplaced"' in page and "passen bij geen regel van dit transcript" in page
    assert "1:15" in page and "Dat vind ik een goed plan, Joris." in page
    assert "1:20" in page  # one keyed by a turn id: at the moment the id names
