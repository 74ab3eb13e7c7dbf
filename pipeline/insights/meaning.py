"""What kind of statement a sentence is, by meaning: closeness to the lexicon's prototype sentences per kind.

The encoder puts "De volgende bijeenkomst is over vier weken" and "see you all next month" near the logistics
prototypes whatever the words; lists of phrases cannot. A sentence is an aside when it is clearly closer to the
procedure, logistics or small-talk prototypes than to the substance ones (lesson, decision, problem).
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from pipeline.insights.lexicon import lexicon

if TYPE_CHECKING:
    import numpy as np

    from pipeline.insights.nlp import Encoder

SUBSTANCE = ("lesson", "decision", "problem")
ASIDE = ("procedure", "logistics", "small_talk")

# Calibrated on QMSum train (bench/calibrate_insights.py, 16 meetings of AMI, ICSI and committees, never val): the
# aside margin (max similarity to an aside prototype minus max similarity to a substance prototype, raw e5 cosines)
# above which a sentence is a stray (ROUGE-1 precision < 0.25 against the annotators' summary) more often than
# not: 0.54 above +0.04 against 0.24-0.37 in every bin below (2,955 sentences). The margin separates little on
# QMSum (AUC 0.56), so it is a filter for clear asides only.
ASIDE_MARGIN = 0.04

_lock = threading.Lock()
_prototype_cache: dict[tuple[int, str], dict[str, np.ndarray]] = {}


def _prototypes(encoder: Encoder, lang: str) -> dict[str, np.ndarray]:
    """The embedded prototype sentences of each kind, once per encoder and language."""
    key = (id(encoder), lang)
    with _lock:
        if key not in _prototype_cache:
            data = lexicon(lang)["prototypes"]
            _prototype_cache[key] = {kind: encoder.embed(list(data[kind])) for kind in (*SUBSTANCE, *ASIDE)}
        return _prototype_cache[key]


def kind_similarities(encoder: Encoder, lang: str, vectors: np.ndarray) -> dict[str, np.ndarray]:
    """Per kind, each sentence's highest cosine to that kind's prototypes (rows of `vectors` are normalised)."""
    import numpy as np

    found = {}
    for kind, prototypes in _prototypes(encoder, lang).items():
        found[kind] = (vectors @ prototypes.T).max(axis=1) if len(vectors) else np.zeros(0)
    return found


def aside_margin(similarities: dict[str, np.ndarray]) -> np.ndarray:
    """How much closer each sentence is to an aside kind than to a substance kind (> 0: closer to an aside)."""
    import numpy as np

    aside = np.max(np.stack([similarities[k] for k in ASIDE]), axis=0)
    substance = np.max(np.stack([similarities[k] for k in SUBSTANCE]), axis=0)
    return np.asarray(aside - substance)
