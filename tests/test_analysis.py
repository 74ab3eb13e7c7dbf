"""pipeline.analysis: Frog's output parsed, the client's framing, restarts and shutdown, the per-turn cache.

Fast tests parse captured Frog output (tests/data/analysis/frog-skip-*.tsv, written by `frog -t` with those
modules skipped) and drive a stand-in Frog (tests/fake_frog.py). The `slow`, `needs_system("frog")` tests run Debian's
Frog and fail when it is missing (`make sysdeps` installs it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from pipeline.analysis.frog import Frog, FrogError, available, clean, parse_output
from pipeline.analysis.types import Sentence, analyse_turns, from_dict, split_tag, text_key, to_dict
from tests.fake_frog import install

DATA = Path(__file__).parent / "data" / "analysis"
ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = sorted(DATA.glob("frog-skip-*.tsv"))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def gone_within(pid: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return not alive(pid)


# -- Frog's output format, without Frog ------------------------------------------------------------------------

def test_cgn_tags_split_into_part_of_speech_and_features():
    assert split_tag("WW(pv,tgw,met-t)") == ("WW", ("pv", "tgw", "met-t"))
    assert split_tag("LET()") == ("LET", ())
    assert split_tag("SPEC(deeleigen)") == ("SPEC", ("deeleigen",))


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda p: p.stem)
def test_captured_output_parses_whatever_modules_were_skipped(layout: Path):
    skipped = layout.stem.removeprefix("frog-skip-").replace("none", "")
    joris, meenemen, den_haag = parse_output(layout.read_text(encoding="utf-8"))
    assert [t.text for t in joris.tokens][:3] == ["Daarna", "stuurt", "Joris"]
    stuurt = joris.tokens[1]
    assert (stuurt.tag, stuurt.tag_features, stuurt.lemma) == ("WW", ("pv", "tgw", "met-t"), "sturen")
    assert stuurt.is_finite_verb and 0.99 < stuurt.confidence <= 1
    if "n" not in skipped:
        assert [(e.kind, e.text) for e in joris.entities()] == [("PER", "Joris"), ("PER", "Fatima"), ("LOC", "Zwolle")]
        assert [(e.kind, e.text) for e in den_haag.entities()] == [("LOC", "Den Haag")]
    else:
        assert not joris.entities() and all(t.entity == "" for t in joris.tokens)
    if "p" not in skipped:
        assert joris.parsed and joris.subject(1) == 2 and stuurt.head is None and stuurt.relation == "ROOT"
        assert meenemen.verb_lemma(1) == "meenemen" and meenemen.tokens[4].relation == "svp"
        # the multi-word unit "Den_Haag" is two words again; heads renumbered; "." hangs from "Den"
        den, haag, stop = den_haag.tokens[4:]
        assert (den.text, haag.text, haag.head, haag.relation, den.head, stop.head) == ("Den", "Haag", 4, "mwp", 3, 4)
    else:
        assert not joris.parsed and all(t.head is None and t.relation == "" for t in joris.tokens)
        assert meenemen.verb_lemma(1) == "nemen"  # no parse, no particle
    if "a" not in skipped:
        assert meenemen.tokens[3].morph == ("resulteer", "aat", "en")
    else:
        assert all(t.morph == () for t in meenemen.tokens)
    if "c" not in skipped:
        assert [t.chunk for t in joris.tokens[:3]] == ["B-PP", "B-VP", "B-NP"]
    else:
        assert all(t.chunk == "" for t in joris.tokens)


def test_an_entity_span_loses_the_preposition_frog_put_in_front():
    joris = parse_output((DATA / "frog-skip-none.tsv").read_text(encoding="utf-8"))[0]
    assert joris.tokens[5].text == "naar" and joris.tokens[5].entity == "B-PER"  # what Frog says
    assert joris.entities()[1].text == "Fatima" and joris.entities()[1].start == 6


def test_texts_are_cleaned_into_one_paragraph_without_our_markers():
    assert clean("  een\nregel\r\nmet\ttab\x00 ") == "een regel met tab"
    assert "OOGSTGRENS" not in clean("zeg OOGSTGRENS of OOGSTVULLING")
    assert clean(" \n\t ") == ""


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda p: p.stem)
def test_the_compact_artefact_round_trips(layout: Path):
    sentences = parse_output(layout.read_text(encoding="utf-8"))
    engine = {"engine": "frog", "version": "0.20"}
    data = json.loads(json.dumps(to_dict({"k1": sentences, "k2": []}, engine)))
    assert from_dict(data) == {"k1": sentences, "k2": []}
    assert from_dict(data, engine=engine) == {"k1": sentences, "k2": []}
    assert from_dict(data, engine={**engine, "version": "0.21"}) == {}  # another engine: analyse again
    assert isinstance(data["texts"]["k1"][0][0], list)  # tokens are short lists, not dicts


class CountingAnalyser:
    """Wraps an analyser (or fakes one) and remembers which texts it was asked for."""

    def __init__(self, inner: Frog | None = None) -> None:
        self.inner = inner
        self.asked: list[list[str]] = []

    def analyse(self, texts: Sequence[str], progress: Callable[[float], None] | None = None) -> list[list[Sentence]]:
        self.asked.append(list(texts))
        if self.inner is not None:
            return self.inner.analyse(texts)
        return [parse_output(f"1\t{t}\t{t}\t\tN(soort)\t0.9\n") if t else [] for t in texts]


def test_the_cache_analyses_only_texts_it_does_not_hold():
    analyser = CountingAnalyser()
    first = analyse_turns(["Ja.", "Nee.", "Ja.", ""], analyser=analyser)
    assert analyser.asked == [["Ja.", "Nee.", ""]]  # each distinct text once
    assert set(first) == {text_key("Ja."), text_key("Nee."), text_key("")}
    second = analyse_turns(["Ja.", "Nee, toch wel.", ""], first, analyser=analyser)
    assert analyser.asked[1:] == [["Nee, toch wel."]]
    assert second[text_key("Ja.")] is first[text_key("Ja.")]
    assert text_key("Nee.") not in second  # stale entries drop out
    analyse_turns(["Ja.", ""], second, analyser=analyser)
    assert len(analyser.asked) == 2  # nothing new: no call at all


# -- the client against a stand-in Frog --------------------------------------------------------------------------

@pytest.fixture()
def fake_binary(tmp_path: Path) -> str:
    return str(install(tmp_path / "fake"))


def test_a_batch_keeps_every_text_apart(fake_binary: str):
    texts = ["Een. Twee! Drie?", "", "   ", "Alleen dit", "...", "Vier. Vijf."] * 40  # > 8 KB: several flushes
    with Frog(binary=fake_binary, timeout=20) as frog:
        result = frog.analyse(texts)
        assert [[s.text for s in r] for r in result[:6]] == [
            ["Een.", "Twee!", "Drie?"], [], [], ["Alleen dit"], ["..."], ["Vier.", "Vijf."]]
        assert result == [frog.analyse([t])[0] for t in texts[:6]] * 40
        assert frog.analyse([]) == [] and frog.analyse([""]) == [[]]
        broken = frog.analyse(["kapot \udcff teken."])[0]  # a lone surrogate (bad decoding upstream): no crash
        assert [t.text for s in broken for t in s.tokens] == ["kapot", "?", "teken."]


def test_small_chunks_give_the_same_answer(fake_binary: str):
    texts = [f"Zin {i}. En nog {i}." for i in range(50)]
    with Frog(binary=fake_binary) as one, Frog(binary=fake_binary, chunk_chars=40) as many:
        seen: list[float] = []
        assert one.analyse(texts) == many.analyse(texts, progress=seen.append)
        assert seen[-1] == 1.0 and len(seen) > 10


def test_frog_that_died_is_started_once_more(fake_binary: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FAKE_FROG_ONCE", str(tmp_path / "died"))
    with Frog(binary=fake_binary) as frog:
        first = frog.pid
        assert [s.text for s in frog.analyse(["Hallo STERF daar."])[0]] == ["Hallo STERF daar."]
        assert frog.pid != first and (tmp_path / "died").exists()
    monkeypatch.delenv("FAKE_FROG_ONCE")
    with Frog(binary=fake_binary) as frog, pytest.raises(FrogError, match="stopped twice"):
        frog.analyse(["STERF"])


def test_a_hanging_frog_times_out_and_is_stopped(fake_binary: str):
    with Frog(binary=fake_binary, timeout=1.5) as frog:
        frog.start()
        pid = frog.pid
        assert pid is not None
        with pytest.raises(FrogError, match="did not answer within 2 s") as error:
            frog.analyse(["SLAAP"])
        assert "\n" not in str(error.value)
        assert gone_within(pid, 5) and frog.pid is None
        assert frog.analyse(["Weer wakker."])[0][0].text == "Weer wakker."  # a fresh Frog next time


def test_shutdown_leaves_no_process(fake_binary: str):
    frog = Frog(binary=fake_binary)
    frog.analyse(["Ja."])
    pid = frog.pid
    assert pid is not None and alive(pid)
    frog.close()
    assert gone_within(pid, 5) and frog.pid is None
    frog.close()  # twice is fine


def test_a_missing_frog_is_one_line_saying_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not available()
    with pytest.raises(FrogError) as error:
        Frog().analyse(["Hallo."])
    message = str(error.value)
    assert "\n" not in message and "not installed" in message and "sudo apt-get install frog frogdata" in message
    assert not available(str(tmp_path / "bin" / "frog"))


def test_frog_without_its_data_is_reported(fake_binary: str, tmp_path: Path):
    (tmp_path / "fake" / "share" / "ucto" / "tokconfig-nld").unlink()
    with pytest.raises(FrogError, match="uctodata"):
        Frog(binary=fake_binary).start()


# -- Debian's Frog -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def frog() -> Iterator[Frog]:
    with Frog() as client:
        yield client


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_frog_finds_subject_persons_and_place(frog: Frog):
    [[sentence]] = frog.analyse(["Daarna stuurt Joris het verslag naar Fatima in Zwolle"])
    words = [t.text for t in sentence.tokens]
    stuurt, joris = words.index("stuurt"), words.index("Joris")
    assert sentence.tokens[stuurt].is_finite_verb and sentence.tokens[stuurt].lemma == "sturen"
    assert sentence.subject(stuurt) == joris and sentence.tokens[joris].relation == "su"
    assert {(e.kind, e.text) for e in sentence.entities()} == {("PER", "Joris"), ("PER", "Fatima"), ("LOC", "Zwolle")}


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_frog_joins_a_separable_verb(frog: Frog):
    [[sentence]] = frog.analyse(["Ik neem de resultaten mee naar de vergadering."])
    words = [t.text for t in sentence.tokens]
    neem, mee = words.index("neem"), words.index("mee")
    assert sentence.tokens[mee].head == neem and sentence.tokens[mee].relation == "svp"
    assert sentence.verb_lemma(neem) == "meenemen"
    assert sentence.tokens[sentence.subject(neem) or 0].text == "Ik"


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_frog_batches_keep_texts_apart(frog: Frog):
    texts = ['Hij zei: "kom maar". Dhr. Jansen kwam om 10.30 u. binnen, d.w.z. te laat...',
             "", "...", "Ja", "€ 10,- of 3,5 %? Nee! (Echt.)", "EOT", " \n ",
             "We bellen de gemeente Den Haag. Daarna gaan we naar huis.\n\nNieuwe alinea zonder punt"]
    together = frog.analyse(texts)
    assert together == [frog.analyse([t])[0] for t in texts]  # the same as one by one
    for text, sentences in zip(texts, together, strict=True):  # every character lands in its own text
        assert "".join(t.text for s in sentences for t in s.tokens) == "".join(text.split())
    assert [len(s) for s in together] == [3, 0, 1, 1, 3, 1, 0, 3]


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_frog_cache_reanalyses_only_changed_turns(frog: Frog):
    counting = CountingAnalyser(frog)
    turns = ["Ik bel Fatima morgen.", "Dat is goed.", "Wie doet het verslag?"]
    first = analyse_turns(turns, analyser=counting)
    turns[1] = "Dat is prima."
    second = analyse_turns(turns, first, analyser=counting)
    assert counting.asked == [turns[:1] + ["Dat is goed."] + turns[2:], ["Dat is prima."]]
    assert second[text_key(turns[0])] == first[text_key(turns[0])]
    assert frog.describe()["engine"] == "frog" and frog.describe()["version"] == "0.20"


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_frog_is_restarted_after_it_was_killed_and_gone_after_close():
    with Frog(skip="acmnp") as frog:  # tagger and lemmas only: starts in a few seconds
        frog.start()
        first = frog.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert frog.analyse(["Weer daar."])[0][0].tokens[0].lemma == "weer"
        second = frog.pid
        assert second is not None and second != first
    assert gone_within(second, 10)


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_frog_dies_with_a_killed_oogst(tmp_path: Path):
    """No orphan: Frog reads a pipe from Oogst, and a killed Oogst closes it."""
    code = ("from pipeline.analysis.frog import Frog\n"
            "import sys, time\n"
            "f = Frog(skip='acmnp'); f.start(); print(f.pid, flush=True); time.sleep(600)\n")
    # a killed Oogst cannot remove Frog's work folder: let it land in tmp_path
    oogst = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        assert oogst.stdout is not None
        pid = int(oogst.stdout.readline())
        assert alive(pid)
        oogst.kill()
        oogst.wait()
        assert gone_within(pid, 10)
    finally:
        oogst.kill()


# -- the analysis stage ------------------------------------------------------------------------------------------------
WIJKTEAM = ROOT / "tests" / "data" / "phases" / "intervisie_wijkteam_nl.txt"


class Counting:
    """An analyser around Frog that counts the texts it was given."""

    def __init__(self, frog: Frog) -> None:
        self.frog, self.texts = frog, 0

    def analyse(self, texts: Sequence[str], progress: Callable[[float], None] | None = None) -> list[list[Sentence]]:
        self.texts += len(texts)
        return self.frog.analyse(texts, progress=progress)

    def describe(self) -> dict[str, object]:
        return self.frog.describe()


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_the_analysis_stage_analyses_dutch_once_and_a_corrected_line_again(frog: Frog, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch):
    """analysis.json holds Frog's sentences per turn; insights.json says Frog read it; after a line is corrected only
    that turn goes to Frog again, and naming a speaker sends nothing."""
    from pipeline.analysis import frog as frog_module
    from pipeline.core.settings import Settings
    from pipeline.service import Oogst, run_recording

    counting = Counting(frog)
    monkeypatch.setattr(frog_module, "shared_frog", lambda: counting)
    settings = Settings(out_dir=tmp_path)
    session = run_recording(WIJKTEAM, settings, until="insights").session
    data = json.loads(session.path("analysis.json").read_text(encoding="utf-8"))
    turns = session.turns()
    assert data["engine"]["engine"] == "frog" and counting.texts == len({t.text for t in turns.turns})
    assert set(data["texts"]) == {text_key(t.text) for t in turns.turns}
    insights = json.loads(session.path("insights.json").read_text(encoding="utf-8"))
    assert insights["analysis"]["engine"] == "frog" and insights["analysis"]["version"]
    before = counting.texts
    Oogst(settings).correct_line(session, 3, "Dit is een zin die ik met de hand heb verbeterd.")
    again = run_recording(WIJKTEAM, settings, until="insights")
    assert counting.texts == before + 1 and "analysis" in again.stage_seconds
    Oogst(settings).name_speakers(session, {turns.turns[0].speaker: "Sanne Jansen"})
    named = run_recording(WIJKTEAM, settings, until="insights")
    assert counting.texts == before + 1 and "analysis" in named.skipped


def test_without_frog_dutch_is_read_by_the_rules_and_says_so_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture):
    """A machine without Frog: one warning line naming what to install, analysis.json and insights.json say
    "rules", and a worker that later has Frog does not reuse those insights (the analyser is in their key)."""
    from pipeline.analysis import frog as frog_module
    from pipeline.core.settings import Settings
    from pipeline.service import run_recording

    monkeypatch.setattr(frog_module, "_warned", set())
    monkeypatch.setattr(frog_module, "missing", lambda binary="frog": "the Frog program (frog) is not installed")
    settings = Settings(out_dir=tmp_path)
    with caplog.at_level("WARNING"):
        session = run_recording(WIJKTEAM, settings, until="insights").session
        run_recording(WIJKTEAM, settings, until="insights", force=True)
    warnings = [r.getMessage() for r in caplog.records if "Frog" in r.getMessage()]
    assert len(warnings) == 1 and "sudo apt-get install frog frogdata" in warnings[0]
    assert json.loads(session.path("analysis.json").read_text(encoding="utf-8"))["engine"] == {"engine": "rules"}
    assert json.loads(session.path("insights.json").read_text(encoding="utf-8"))["analysis"] == "rules"
    monkeypatch.setattr(frog_module, "missing", lambda binary="frog": None)
    monkeypatch.setattr(frog_module, "shared_frog", lambda: Counting(Frog(binary=str(install(tmp_path / "fake")))))
    redone = run_recording(WIJKTEAM, settings, until="insights")
    assert {"analysis", "insights"} <= set(redone.stage_seconds)  # the analyser changed: nothing of the rules kept


def test_english_is_read_by_the_rules_without_starting_frog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from pipeline.analysis import frog as frog_module
    from pipeline.core.settings import Settings
    from pipeline.service import run_recording

    def no_frog() -> Frog:
        raise AssertionError("Frog started for English")

    monkeypatch.setattr(frog_module, "shared_frog", no_frog)
    english = ROOT / "tests" / "data" / "insights" / "tune" / "cop_youthwork_en.vtt"
    session = run_recording(english, Settings(out_dir=tmp_path, language="en"), until="insights").session
    assert json.loads(session.path("insights.json").read_text(encoding="utf-8"))["analysis"] == "rules"


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_with_the_analysis_the_insights_read_frogs_sentences(frog: Frog):
    """The insights' sentences follow Frog's split, each a verbatim piece of its turn carrying Frog's tokens."""
    from pipeline.core.types import Turn, Turns
    from pipeline.insights.nlp import split_sentences

    said = ["Nou ja, ik neem de resultaten mee naar de bouwvergadering. Dat spreken we af, toch?",
            "Ja... eh, dan stuurt Joris het verslag naar Fatima in Zwolle!"]
    turns = Turns({"S1": "Sanne", "S2": "Joris"}, (Turn("S1", 0.0, 6.0, said[0]), Turn("S2", 6.5, 10.0, said[1])))
    analysis = analyse_turns(said, analyser=frog)
    sentences = split_sentences(turns, "nl", analysis)
    assert [s.turn for s in sentences] == [0, 0, 1] and all(s.parsed is not None for s in sentences)
    assert all(s.text in turns.turns[s.turn].text for s in sentences)
    assert sentences[0].text.endswith("bouwvergadering.") and "meenemen" in sentences[0].lemmas or \
        "nemen" in sentences[0].lemmas
    assert 0.0 <= sentences[0].start < sentences[1].start < sentences[1].end <= 6.0 <= sentences[2].start
    assert split_sentences(turns, "nl", {}) == split_sentences(turns, "nl")  # without the analysis: as before
