"""The quality bench's scoring helpers (bench/quality_metrics.py) on tiny hand-made data."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import quality_metrics as qm  # noqa: E402


@dataclass(frozen=True)
class FakeTurn:
    speaker: str
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class FakeTurns:
    speakers: dict[str, str]
    turns: tuple[FakeTurn, ...]

    def name(self, label: str) -> str:
        return self.speakers.get(label) or label


@dataclass(frozen=True)
class FakeQuote:
    speaker: str
    start: float
    end: float
    text: str


def test_strip_speaker_removes_role_names_but_not_sentences_with_a_colon():
    assert qm.strip_speaker("Project Manager: Okay, let's start.") == "Okay, let's start."
    assert qm.strip_speaker("Right Hon. Justin Trudeau: Thank you.") == "Thank you."
    assert qm.strip_speaker("There are three things we agreed on today: price, colour and size.") \
        == "There are three things we agreed on today: price, colour and size."


def test_sentences_split_on_end_punctuation_and_keep_only_long_ones():
    assert qm.split_sentences("Okay. So the price is twenty five euro! Right?") == [
        "Okay.", "So the price is twenty five euro!", "Right?"]
    found = qm.transcript_sentences(["A: Okay. We sell it for twenty five euro each.", "B: Mm-hmm.",
                                     "C: The battery should last for a whole year."])
    assert [(s.line, s.text) for s in found] == [(0, "We sell it for twenty five euro each."),
                                                 (2, "The battery should last for a whole year.")]


def test_textrank_puts_the_sentence_that_shares_most_with_the_others_first():
    texts = ["The remote control needs a large battery.",
             "A remote control with a battery and large buttons is easy.",
             "Large buttons make the remote control easy for older users.",
             "My cat likes to sleep in the sun all afternoon."]
    ranked = qm.textrank(texts)
    assert sorted(ranked) == [0, 1, 2, 3]
    assert ranked[0] == 1  # shares words with both other remote-control sentences
    assert ranked[-1] == 3  # shares nothing


def test_lead_cut_longest_and_evenly_spaced():
    assert qm.lead_words("one two three four five", 3) == "one two three"
    # Best-ranked first until 5 words, the last cut, then back in transcript order.
    assert qm.cut_to_words(["c c c", "a a a", "b b b"], [2, 0, 1], 5) == "a a c c c"
    assert qm.longest(["a b", "a b c d", "a", "a b c"], 2) == [1, 3]
    assert qm.evenly_spaced(70, 7) == [5, 15, 25, 35, 45, 55, 65]
    assert qm.evenly_spaced(3, 7) == [0, 1, 2]
    assert qm.evenly_spaced(0, 7) == []


def test_topic_coverage_counts_topics_with_a_picked_turn_inside_an_inclusive_span():
    topics = [{"topic": "price", "spans": [[0, 4]]}, {"topic": "design", "spans": [[5, 9], [20, 22]]},
              {"topic": "animals", "spans": [[10, 19]]}]
    assert qm.topic_coverage(topics, [4, 22]) == pytest.approx(2 / 3)
    assert qm.topic_coverage(topics, [23]) == 0.0
    assert qm.topic_coverage([], [1]) == 0.0


def test_stray_flags_use_rouge1_precision_against_the_reference_and_ignore_speaker_prefixes():
    rouge = qm.Rouge()
    reference = "The team agreed the remote control will cost twenty five euro and use a rubber case."
    flags = qm.stray_flags(rouge, reference, [
        "Marketing: The remote control will cost twenty five euro.",
        "I like dogs because they are loyal and funny.",
    ])
    assert flags == [False, True]
    assert rouge.f1(reference, "Project Manager: rubber case")["rouge1"] == \
        pytest.approx(rouge.f1(reference, "rubber case")["rouge1"])


def _turns_and_file(tmp_path: Path) -> tuple[FakeTurns, Path]:
    # Ann's two consecutive lines are one turn, as the importer joins a speaker's lines.
    path = tmp_path / "t.txt"
    path.write_text("# a comment\nAnn: We keep the price low. It sells better.\nAnn: Also the case is rubber.\n\n"
                    "Bob: Okay. The case is rubber, fine.\n", encoding="utf-8")
    ann = "We keep the price low. It sells better. Also the case is rubber."
    turns = FakeTurns({"Ann": "Ann", "Bob": "Bob"}, (
        FakeTurn("Ann", 0.0, 13.0, ann), FakeTurn("Bob", 13.5, 16.0, "Okay. The case is rubber, fine.")))
    return turns, path


def test_linemap_places_quotes_on_their_file_lines(tmp_path):
    turns, path = _turns_and_file(tmp_path)
    assert qm.said_lines(path) == [(2, "We keep the price low. It sells better."), (3, "Also the case is rubber."),
                                   (5, "Okay. The case is rubber, fine.")]
    linemap = qm.LineMap.build(turns, qm.said_lines(path))
    # Ann's third sentence starts at character 40 of 63 in a 13-second turn.
    assert linemap.lines_of("Ann", 40 / 63 * 13, 13.0, "Also the case is rubber.") == [3]
    assert linemap.lines_of("Ann", 0.0, 4.0, "We keep the price low.") == [2]
    # The same words said by Bob are on Bob's line, not Ann's.
    assert linemap.lines_of("Bob", 14.0, 16.0, "The case is rubber, fine.") == [5]
    # A sentence that runs over a line break spans both lines.
    assert linemap.lines_of("Ann", 4.0, 13.0, "It sells better. Also the case") == [2, 3]
    assert linemap.lines_of("Carl", 1.0, 2.0, "Nobody said this.") == []
    assert linemap.unmatched == ["Nobody said this."]
    assert linemap.line_at_time(40 / 63 * 13) == 3
    assert linemap.line_at_time(14.0) == 5


def test_linemap_refuses_a_file_that_does_not_match_the_turns(tmp_path):
    turns, path = _turns_and_file(tmp_path)
    path.write_text("Ann: Something else entirely.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="differ"):
        qm.LineMap.build(turns, qm.said_lines(path))


def test_said_lines_reads_vtt_voice_tags(tmp_path):
    path = tmp_path / "t.vtt"
    path.write_text("WEBVTT\n\n1\n00:00:00.000 --> 00:00:03.000\n<v Sanne de Vries>Goedemorgen allemaal.</v>\n\n"
                    "00:00:03.000 --> 00:00:05.000\nJoris: Hoi.\n", encoding="utf-8")
    assert qm.said_lines(path) == [(5, "Goedemorgen allemaal."), (8, "Hoi.")]


def test_seed_quote_finds_the_quote_the_cleaned_sentence_came_from():
    quotes = [FakeQuote("A", 0, 1, "Uh well I think the price is too high."),
              FakeQuote("B", 2, 3, "So, um, we should keep the rubber case.")]
    assert qm.seed_quote("We should keep the rubber case.", quotes) == 1
    assert qm.seed_quote("Nothing like any quote here.", quotes) is None


def test_owner_and_due_matching():
    assert qm.owner_matches("Joris", "joris")
    assert qm.owner_matches("Joris", "Joris de Vries")
    assert not qm.owner_matches("Joris", "Daarna")
    assert qm.owner_matches("group", "we") and not qm.owner_matches("group", "Sanne")
    assert not qm.owner_matches("Sanne", None)
    assert qm.due_matches("vrijdag", "voor vrijdag")
    assert qm.due_matches(None, None) and not qm.due_matches(None, "morgen")
    assert not qm.due_matches("dinsdag", "morgen")


def test_score_report_counts_lessons_logistics_and_actions_by_line():
    expected = {
        "lessons": [{"id": "listen", "lines": [10, 30], "keywords": ["luister"]},
                    {"id": "help", "lines": [20], "keywords": ["hulp"]},
                    {"id": "missed", "lines": [40], "keywords": ["nooit"]}],
        "logistics": [{"lines": [50]}],
        "actions": [{"owner": "Joris", "due": "vrijdag", "line": 60},
                    {"owner": "group", "due": None, "line": 61},
                    {"owner": "Sanne", "due": "morgen", "line": 62}],
        "not_actions": [{"line": 70}],
    }
    insights = [qm.PlacedInsight("Eerst goed luisteren.", "Luisteren", (30,), (30,)),
                qm.PlacedInsight("Vraag hulp.", "Hulp", (25,), (20, 25)),  # lesson found through a quote only
                qm.PlacedInsight("Volgende keer om negen uur.", "Volgende keer", (50,), (50,))]
    actions = [qm.PlacedAction("Joris", "voor vrijdag", "stuurt het verslag", 60),
               qm.PlacedAction("Daarna", None, "stuurt het", 61),
               qm.PlacedAction("Pieter", None, "hij belt morgen", 70)]
    score = qm.score_report(expected, insights, actions)
    assert (score.lessons, score.lessons_by_sentence, score.lessons_total) == (2, 1, 3)
    assert score.lessons_keywords == 2
    assert score.logistics == 1
    assert (score.actions_matched, score.actions_predicted, score.actions_expected) == (2, 3, 3)
    assert score.precision == pytest.approx(2 / 3) and score.recall == pytest.approx(2 / 3)
    assert score.owners_right == 1  # "Daarna" is not the group
    assert score.dues_right == 2  # "voor vrijdag" holds "vrijdag"; none expected and none given
    assert score.not_actions_hit == 1
    assert score.details["lessons_missed"] == ["missed"]


def test_report_set_annotations_are_well_formed_and_point_at_real_lines():
    root = Path(__file__).resolve().parent / "data" / "insights"
    files = sorted(root.glob("report/*.expected.json")) + sorted(root.glob("tune/*.expected.json"))
    assert files, f"no annotated transcripts in {root}/report or /tune"
    for expected_path in files:
        stem = expected_path.name.removesuffix(".expected.json")
        transcript = next(p for p in (expected_path.with_name(f"{stem}.txt"), expected_path.with_name(f"{stem}.vtt"))
                          if p.is_file())
        said = dict(qm.said_lines(transcript))
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        assert expected["language"] in ("nl", "en")
        assert len(expected["lessons"]) >= 4, expected_path
        for lesson in expected["lessons"]:
            assert lesson["lines"] and all(n in said for n in lesson["lines"]), (expected_path, lesson["id"])
        for item in expected.get("logistics", []) + expected.get("actions", []) + expected.get("not_actions", []):
            lines = item.get("lines") or qm._as_list(item["line"])
            assert all(n in said for n in lines), (expected_path, item)
        for action in expected.get("actions", []):
            assert action["owner"] and "due" in action, (expected_path, action)


def test_linemap_matches_the_real_importer(tmp_path):
    """The bench maps quotes to lines on what `import_transcript` makes of a file: a speaker's consecutive lines
    become one turn, a line without a name continues it."""
    import bench_quality

    path = tmp_path / "t.txt"
    path.write_text("Ann: We keep the price low.\nAnn: The case is rubber.\nand it is yellow.\n"
                    "Bob: Fine by me.\nAnn: Then we are done.\n", encoding="utf-8")
    turns = bench_quality.load(path, "en")
    assert len(turns.turns) == 3  # Ann's first three lines are one turn
    linemap = qm.LineMap.build(turns, qm.said_lines(path))
    first = turns.turns[0]
    at = first.text.index("The case")
    start = first.start + (first.end - first.start) * at / len(first.text)
    assert linemap.lines_of("Ann", start, first.end, "The case is rubber. and it is yellow.") == [2, 3]
    last = turns.turns[2]
    assert linemap.lines_of("Ann", last.start, last.end, "Then we are done.") == [5]
