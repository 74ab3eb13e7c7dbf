"""The pure helpers of bench/bench_decoding.py and bench/common.py: WER normalisation, pooling, the quick cut."""

import pytest

from bench.bench_decoding import CONFIGS, DEFAULT, add_ratios, cut_at, pooled_wer, wer_of, word_counts
from bench.common import normalise


def test_normalise_lowercases_and_strips_punctuation_but_keeps_numbers_and_inner_apostrophes():
    assert normalise("Dat is het wrak van het passagiersvliegtuig LC-10 Lemura.") == \
        "dat is het wrak van het passagiersvliegtuig lc 10 lemura"
    assert normalise("Weet ik veel... Zou dit de schat zijn?! In zo'n klein kistje?") == \
        "weet ik veel zou dit de schat zijn in zo'n klein kistje"
    assert normalise("Poseidon 737.") == "poseidon 737"  # numbers as written, not spelled out
    assert normalise("'t Is 'goed' zo, z'n boot") == "t is goed zo z'n boot"  # quotes go, inner apostrophes stay
    assert normalise("  Één   Café\n") == "één café"  # accents kept


def test_word_counts_score_both_sides_normalised():
    counts = word_counts("Wat is dit voor raar schip?", "wat is dit, voor een raar schip")
    assert counts == {"substitutions": 0, "deletions": 0, "insertions": 1, "hits": 6}
    assert wer_of(counts) == pytest.approx(1 / 6)


def test_pooled_wer_weights_files_by_their_words_not_the_mean_of_their_wers():
    long = {"substitutions": 10, "deletions": 0, "insertions": 0, "hits": 90}  # WER 0.10 on 100 words
    short = {"substitutions": 5, "deletions": 3, "insertions": 2, "hits": 2}  # WER 1.0 on 10 words
    assert pooled_wer([long, short]) == pytest.approx(20 / 110)
    assert pooled_wer([long]) == pytest.approx(0.10)
    with pytest.raises(ValueError):
        wer_of({"substitutions": 0, "deletions": 0, "insertions": 3, "hits": 0})


SEGMENTS = [
    {"speaker": "klein", "start": 0.5, "end": 2.5, "text": "Wat is dit?"},
    {"speaker": "groot", "start": 3.0, "end": 7.0, "text": "Een wrak."},
    {"speaker": "klein", "start": 7.6, "end": 9.0, "text": "Stoelen."},
]


def test_cut_at_keeps_whole_clips_and_cuts_in_the_pause_after_them():
    assert cut_at(SEGMENTS, 8.0) == (pytest.approx(7.3), "Wat is dit? Een wrak.")
    assert cut_at(SEGMENTS, 7.0) == (pytest.approx(7.3), "Wat is dit? Een wrak.")
    assert cut_at(SEGMENTS, 100.0) == (pytest.approx(9.5), "Wat is dit? Een wrak. Stoelen.")
    assert cut_at(SEGMENTS, 1.0) == (pytest.approx(2.75), "Wat is dit?")  # never an empty reference


def test_ratios_are_to_the_mean_of_the_defaults_first_and_last_run():
    rows = [{"config": DEFAULT, "rtf": 0.10}, {"config": "beam 1", "rtf": 0.06},
            {"config": "default (again, last)", "rtf": 0.12}, {"config": "broken", "error": "x"}]
    assert add_ratios(rows) == pytest.approx(0.11)
    assert [r.get("rtf_vs_default") for r in rows] == [0.909, 0.545, 1.091, None]


def test_the_quick_set_is_three_configurations_with_the_default_first():
    quick = [c.name for c in CONFIGS if c.quick]
    assert len(quick) == 3 and quick[0] == DEFAULT
    assert CONFIGS[0].options == {} and CONFIGS[0].vad == {}  # the baseline is the project's default, unchanged
    assert len({c.name for c in CONFIGS}) == len(CONFIGS)


def test_table_has_one_cell_per_header_column_and_marks_direct_faster_whisper_rows():
    from bench.bench_decoding import table

    settings = {"compute_type": "float32", "batched": False, "batch_size": 8, "beam_size": 5, "vad_filter": False,
                "vad_parameters": {"min_silence_duration_ms": 500, "speech_pad_ms": 300}}
    row = {"config": "VAD off", "direct_faster_whisper": True, "settings": settings,
           "files": [{"wer": 0.25}, {"wer": 0.5}], "wer": 0.3, "rtf": 0.1, "rtf_vs_default": 1.0, "cpu_rtf": 0.2,
           "cpu_rtf_vs_default": 1.0, "load_seconds": 1.5, "peak_rss_mb": 800.0, "other_cpu_percent": 3.0,
           "load_avg": {"before": [0.1, 0, 0], "after": [1.9, 0, 0]}}
    failed = {"config": "int8", "error": "boom"}
    lines = table([row, failed], ["fillets_dev_a", "fillets_dev_b"]).splitlines()
    cells = [line.count("|") for line in lines]
    assert len(set(cells)) == 1, lines
    assert lines[2].startswith("| VAD off ¹ | float32, sequential, beam 5, VAD off | 0.250 | 0.500 | 0.300 |")
    assert "FAILED: boom" in lines[3]
