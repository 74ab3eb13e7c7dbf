"""Dutch first names, surnames and places from deduce's lists (shipped in its package), read as data for `names`.

deduce (`pip install 'oogst[privacy]'`) keeps its lookup lists as text files in its package; they are read here
without importing deduce (its import sets up logging) and without building its lookup tables. Without deduce the
lists are empty and `names` works from Frog's analysis and lexicon alone.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pipeline.privacy.mapping import DIMINUTIVE


class NameLists:
    """deduce's lists of Dutch first names and surnames (shipped in its package, read as data), folded."""

    def __init__(self, first: frozenset[str], surnames: frozenset[str], common: frozenset[str],
                 places: frozenset[str] = frozenset()) -> None:
        self.first = first
        self.surnames = surnames
        self.common = common  # deduce's common words that are also names ("bos", "storm")
        self.places = places  # residences and municipalities

    def first_name(self, word: str) -> bool:
        """A first name, also a double one ("dirk-jan"), that is not one of deduce's common words."""
        folded = word.lower()
        parts = folded.split("-")
        return folded not in self.common and all(p in self.first for p in parts) and all(len(p) > 1 for p in parts)

    def pet_name(self, word: str) -> bool:
        """A first name or its diminutive ("Sjaakie", "Pietje", "Anneke")."""
        folded = word.lower()
        if self.first_name(folded):
            return True
        for ending in sorted(DIMINUTIVE, key=len, reverse=True):
            stem = folded[:-len(ending)]
            if folded.endswith(ending) and len(stem) > 2 and (self.first_name(stem) or self.first_name(stem[:-1])
                                                                and stem[-1] == stem[-2]):
                return True  # "Pietje", "Sjaakie"; "Bobbie" (Bob)
        return False

    def surname(self, word: str) -> bool:
        return word.lower() in self.surnames and word.lower() not in self.common
    @classmethod
    def read(cls, folder: Path) -> NameLists:
        def items(*parts: str) -> frozenset[str]:
            path = folder.joinpath(*parts, "items.txt")
            try:
                return frozenset(line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines()
                                 if line.strip())
            except OSError:
                return frozenset()

        return cls(items("names", "lst_first_name"), items("names", "lst_surname"),
                   items("whitelist", "lst_common_word"),
                   items("locations", "lst_placename", "lst_residence")
                   | items("locations", "lst_placename", "lst_municipality"))


@functools.cache
def shared_name_lists() -> NameLists:
    """deduce's name lists, read once per process (empty without deduce: no import, only its data files)."""
    import importlib.util

    spec = importlib.util.find_spec("deduce")
    if spec is None or spec.origin is None:
        return NameLists(frozenset(), frozenset(), frozenset())
    return NameLists.read(Path(spec.origin).parent / "data" / "lookup" / "src")
